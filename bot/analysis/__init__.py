"""Statistics over what members answered: pure computation (pandas, SciPy, scikit-learn), no I/O.

The services read the facts from storage, name the units (an item, or a generator), and hand
plain rows in; what comes back is plain values a card or a report can show.
"""

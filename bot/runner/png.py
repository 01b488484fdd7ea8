"""A PNG from a child is untrusted bytes: check its structure without a C image decoder.

The figures come from the runner's own code in the child (matplotlib's Agg writer), but that
code shares a process with the snippet, which can write any bytes to the results pipe. So the
server checks every file before it answers with it: the signature, every chunk's length and
CRC, an IHDR with sane bounds, and the image data inflated with a bounded zlib decompressor to
exactly the size its scanlines need (each scanline's filter byte checked too). Nothing here
keeps the pixels: inflated data is counted and dropped piece by piece.

It runs in a worker thread of the server (zlib releases the GIL), never on the event loop.
"""

from __future__ import annotations

import struct
import zlib
from typing import Final

SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
MAX_SIDE: Final = 16_384
MAX_RAW_BYTES: Final = 256 * 1024 * 1024
_CHANNELS: Final = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type: samples a pixel
_DEPTHS: Final = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_PIECE: Final = 1 << 20


class BadPng(ValueError):
    """Not a PNG this runner would have written; the message says what is wrong."""


def check_png(data: bytes) -> tuple[int, int]:
    """(width, height) of a valid, non-interlaced PNG; raises `BadPng` otherwise."""
    if not data.startswith(SIGNATURE):
        raise BadPng("no PNG signature")
    position = len(SIGNATURE)
    header: tuple[int, int, int, int, int] | None = None
    inflater = zlib.decompressobj()
    scanline = 0
    expected = 0
    inflated = 0
    seen_data = ended_data = False
    while True:
        if position + 12 > len(data):
            raise BadPng("a chunk runs past the end of the file")
        length, kind = struct.unpack_from(">I4s", data, position)
        body_start = position + 8
        body_end = body_start + length
        if length > 0x7FFFFFFF or body_end + 4 > len(data):
            raise BadPng("a chunk length runs past the end of the file")
        (crc,) = struct.unpack_from(">I", data, body_end)
        if zlib.crc32(data[position + 4 : body_end]) != crc:
            raise BadPng(f"bad CRC in a {kind!r} chunk")
        body = data[body_start:body_end]
        position = body_end + 4
        if header is None:
            if kind != b"IHDR":
                raise BadPng("the first chunk is not IHDR")
            header = _ihdr(body)
            width, height, depth, colour, _ = header
            bits = width * _CHANNELS[colour] * depth
            scanline = 1 + (bits + 7) // 8
            expected = scanline * height
            if expected > MAX_RAW_BYTES:
                raise BadPng(f"{width}x{height} is too large")
            continue
        if kind == b"IHDR":
            raise BadPng("a second IHDR")
        if kind == b"IDAT":
            if ended_data:
                raise BadPng("IDAT chunks are not consecutive")
            seen_data = True
            inflated = _inflate(inflater, body, inflated, expected, scanline)
        elif seen_data:
            ended_data = True
        if kind == b"IEND":
            break
    if not seen_data:
        raise BadPng("no image data")
    inflated = _inflate(inflater, b"", inflated, expected, scanline)
    if not inflater.eof or inflated != expected:
        raise BadPng(f"image data inflates to {inflated} bytes, its scanlines need {expected}")
    if position != len(data):
        raise BadPng("bytes after IEND")
    return header[0], header[1]


def _ihdr(body: bytes) -> tuple[int, int, int, int, int]:
    if len(body) != 13:
        raise BadPng("IHDR is not 13 bytes")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", body
    )
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise BadPng(f"{width}x{height} is outside 1..{MAX_SIDE}")
    if colour not in _DEPTHS or depth not in _DEPTHS[colour]:
        raise BadPng(f"bit depth {depth} with colour type {colour}")
    if compression != 0 or filtering != 0:
        raise BadPng("unknown compression or filter method")
    if interlace != 0:
        raise BadPng("interlaced")
    return width, height, depth, colour, interlace


def _inflate(
    inflater: zlib._Decompress, chunk: bytes, done: int, expected: int, scanline: int
) -> int:
    """Inflates `chunk` piece by piece, never more than one byte past `expected` in all."""
    pending = chunk
    while True:
        room = expected + 1 - done
        if room <= 0:
            raise BadPng("image data inflates past its scanlines")
        limit = min(room, _PIECE)
        piece = inflater.decompress(pending, limit)
        pending = inflater.unconsumed_tail
        for offset in range(-done % scanline, len(piece), scanline):
            if piece[offset] > 4:
                raise BadPng("a scanline has an unknown filter type")
        done += len(piece)
        if inflater.eof:
            if inflater.unused_data or pending:
                raise BadPng("data after the end of the zlib stream")
            return done
        if not pending and len(piece) < limit:
            return done

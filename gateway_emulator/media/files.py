"""Media files the emulator makes itself and serves under ``/files/...`` without auth (like a CDN).

* PNG: a real, decodable RGB image drawn with ``zlib`` + ``struct``; its colour comes from a hash of
  the prompt, its size from the request (capped at :data:`MAX_SIDE` pixels per side).
* MP4: a real H.264 (baseline, I_PCM + skipped P macroblocks) video in an ISO-BMFF container
  (``ftyp`` first, then ``moov``, then ``mdat``), built by hand: 2 s, 32x32, a few KB.
* MP3: silent MPEG-1 Layer III frames (Suno clips).

File names carry everything needed to redraw them, so the URLs stay valid without any state.
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
import zlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

MAX_SIDE = 512
_IMAGE_NAME = re.compile(r"^([0-9a-f]{12})(?:-(\d{1,3}))?-(\d{1,5})x(\d{1,5})(-grid)?\.png$")
_SAFE_STEM = re.compile(r"^[A-Za-z0-9_.:-]{1,120}$")


# ---------------------------------------------------------------- names and URLs


def seed_of(text: str) -> str:
    """12 hex characters that pick an image's colour."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def capped_size(width: int, height: int) -> tuple[int, int]:
    """The drawn size: the requested one, scaled down to fit MAX_SIDE, at least 1x1."""
    width, height = max(1, width), max(1, height)
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def image_url(request: Request, prompt: str, size: tuple[int, int], index: int = 0,
              *, grid: bool = False) -> str:
    width, height = capped_size(*size)
    suffix = "-grid" if grid else ""
    name = f"{seed_of(prompt)}-{index}-{width}x{height}{suffix}.png"
    return f"{root_url(request)}/files/images/{name}"


def image_bytes_for(prompt: str, size: tuple[int, int], index: int = 0) -> bytes:
    width, height = capped_size(*size)
    return png_bytes(width, height, seed_of(prompt), variant=index)


def video_url(request: Request, name: str) -> str:
    return f"{root_url(request)}/files/videos/{_safe(name)}.mp4"


def audio_url(request: Request, name: str) -> str:
    return f"{root_url(request)}/files/audio/{_safe(name)}.mp3"


def root_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _safe(name: str) -> str:
    return name if _SAFE_STEM.match(name) else hashlib.sha256(name.encode()).hexdigest()[:24]


# ---------------------------------------------------------------- PNG


def _colour(seed: str, variant: int) -> tuple[int, int, int]:
    digest = hashlib.sha256(f"{seed}:{variant}".encode()).digest()
    # keep channels in 40..215 so the image is neither black nor white
    return digest[0] % 176 + 40, digest[1] % 176 + 40, digest[2] % 176 + 40


def png_bytes(width: int, height: int, seed: str, *, variant: int = 0, grid: bool = False) -> bytes:
    """An RGB PNG: the seed's colour with a soft diagonal shade (four tints when ``grid``)."""
    width, height = capped_size(width, height)
    colours = ([_colour(seed, variant + quadrant * 1000) for quadrant in range(4)] if grid
               else [_colour(seed, variant)] * 4)
    # pixel (x, y) depends on x + y only, so each row is a slice of one precomputed strip
    strips = [_strip(colour, width, height) for colour in colours]
    split = (width + 1) // 2
    rows = bytearray()
    for y in range(height):
        top = 0 if y * 2 < height else 2
        rows.append(0)  # filter type: none
        rows += strips[top][3 * y:3 * (y + split)]
        rows += strips[top + 1][3 * (y + split):3 * (y + width)]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + _png_chunk(b"IEND", b""))


def _strip(colour: tuple[int, int, int], width: int, height: int) -> bytes:
    r, g, b = colour
    out = bytearray()
    for diagonal in range(width + height):
        shade = diagonal * 40 // (width + height)
        out += bytes((min(255, r + shade), min(255, g + shade), min(255, b + shade)))
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# ---------------------------------------------------------------- H.264 bitstream


class _Bits:
    """An RBSP writer: fixed-width fields and Exp-Golomb codes."""

    def __init__(self) -> None:
        self.bits: list[int] = []

    def u(self, width: int, value: int) -> None:
        self.bits += [(value >> shift) & 1 for shift in range(width - 1, -1, -1)]

    def ue(self, value: int) -> None:
        code = value + 1
        self.u(code.bit_length() * 2 - 1, code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align_zero(self) -> None:
        while len(self.bits) % 8:
            self.bits.append(0)

    def raw(self, data: bytes) -> None:
        for byte in data:
            self.u(8, byte)

    def trailing(self) -> bytes:
        self.bits.append(1)  # rbsp_stop_one_bit
        self.align_zero()
        out = bytearray()
        for i in range(0, len(self.bits), 8):
            out.append(int("".join(map(str, self.bits[i:i + 8])), 2))
        return bytes(out)


def _nal(header: int, rbsp: bytes) -> bytes:
    """A NAL unit with emulation-prevention bytes inserted."""
    out = bytearray([header])
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


_MB_W = _MB_H = 2  # 32x32 pixels
_LOG2_MAX_FRAME_NUM = 4


def _sps() -> bytes:
    bits = _Bits()
    bits.u(8, 66)  # profile_idc: baseline
    bits.u(8, 0xC0)  # constraint_set0/1
    bits.u(8, 10)  # level 1.0
    bits.ue(0)  # seq_parameter_set_id
    bits.ue(_LOG2_MAX_FRAME_NUM - 4)
    bits.ue(2)  # pic_order_cnt_type 2: order follows frame_num
    bits.ue(1)  # max_num_ref_frames
    bits.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    bits.ue(_MB_W - 1)
    bits.ue(_MB_H - 1)
    bits.u(1, 1)  # frame_mbs_only_flag
    bits.u(1, 1)  # direct_8x8_inference_flag
    bits.u(1, 0)  # frame_cropping_flag
    bits.u(1, 0)  # vui_parameters_present_flag
    return _nal(0x67, bits.trailing())


def _pps() -> bytes:
    bits = _Bits()
    bits.ue(0)  # pic_parameter_set_id
    bits.ue(0)  # seq_parameter_set_id
    bits.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    bits.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    bits.ue(0)  # num_slice_groups_minus1
    bits.ue(0)  # num_ref_idx_l0_default_active_minus1
    bits.ue(0)  # num_ref_idx_l1_default_active_minus1
    bits.u(1, 0)  # weighted_pred_flag
    bits.u(2, 0)  # weighted_bipred_idc
    bits.se(0)  # pic_init_qp_minus26
    bits.se(0)  # pic_init_qs_minus26
    bits.se(0)  # chroma_qp_index_offset
    bits.u(1, 0)  # deblocking_filter_control_present_flag
    bits.u(1, 0)  # constrained_intra_pred_flag
    bits.u(1, 0)  # redundant_pic_cnt_present_flag
    return _nal(0x68, bits.trailing())


def _yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = rgb
    y = (66 * r + 129 * g + 25 * b + 128) // 256 + 16
    u = (-38 * r - 74 * g + 112 * b + 128) // 256 + 128
    v = (112 * r - 94 * g - 18 * b + 128) // 256 + 128
    return y, u, v


def _idr_slice(idr_pic_id: int, rgb: tuple[int, int, int]) -> bytes:
    """Every macroblock I_PCM: raw samples, no transform, so the colour is exact."""
    y, u, v = _yuv(rgb)
    bits = _Bits()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(7)  # slice_type: I (all slices)
    bits.ue(0)  # pic_parameter_set_id
    bits.u(_LOG2_MAX_FRAME_NUM, 0)  # frame_num
    bits.ue(idr_pic_id)
    bits.u(1, 0)  # no_output_of_prior_pics_flag
    bits.u(1, 0)  # long_term_reference_flag
    bits.se(0)  # slice_qp_delta
    for _ in range(_MB_W * _MB_H):
        bits.ue(25)  # mb_type I_PCM
        bits.align_zero()  # pcm_alignment_zero_bit
        bits.raw(bytes([y]) * 256 + bytes([u]) * 64 + bytes([v]) * 64)
    return _nal(0x65, bits.trailing())


def _skip_slice(frame_num: int) -> bytes:
    """A P frame whose macroblocks are all skipped: it repeats the previous picture."""
    bits = _Bits()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(5)  # slice_type: P (all slices)
    bits.ue(0)  # pic_parameter_set_id
    bits.u(_LOG2_MAX_FRAME_NUM, frame_num % (1 << _LOG2_MAX_FRAME_NUM))
    bits.u(1, 0)  # num_ref_idx_active_override_flag
    bits.u(1, 0)  # ref_pic_list_modification_flag_l0
    bits.u(1, 0)  # adaptive_ref_pic_marking_mode_flag
    bits.se(0)  # slice_qp_delta
    bits.ue(_MB_W * _MB_H)  # mb_skip_run
    return _nal(0x41, bits.trailing())


# ---------------------------------------------------------------- MP4 container


def _box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
FPS = 4
_GOP = 4  # one IDR then three skipped P frames
_COLOURS = ((200, 60, 60), (60, 90, 200))


@functools.lru_cache(maxsize=1)
def mp4_bytes() -> bytes:
    """A 2 s, 32x32, 4 fps H.264 video: two colours, one per second."""
    samples: list[bytes] = []
    sync: list[int] = []
    for gop, colour in enumerate(_COLOURS):
        sync.append(len(samples) + 1)
        samples.append(_idr_slice(gop % 2, colour))
        samples += [_skip_slice(n) for n in range(1, _GOP)]
    framed = [struct.pack(">I", len(s)) + s for s in samples]
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 512), b"isom", b"iso2", b"avc1", b"mp41")
    moov = _moov(framed, sync, chunk_offset=0)
    offset = len(ftyp) + len(moov) + 8  # the samples start right after mdat's header
    moov = _moov(framed, sync, chunk_offset=offset)
    return ftyp + moov + _box(b"mdat", *framed)


def _moov(samples: list[bytes], sync: list[int], chunk_offset: int) -> bytes:
    count = len(samples)
    timescale = 1000
    delta = timescale // FPS
    duration = count * delta
    width = _MB_W * 16
    height = _MB_H * 16
    mvhd = _full_box(b"mvhd", 0, 0, struct.pack(">IIII", 0, 0, timescale, duration),
                     struct.pack(">IH", 0x10000, 0x100), bytes(10), _MATRIX, bytes(24),
                     struct.pack(">I", 2))
    tkhd = _full_box(b"tkhd", 0, 3, struct.pack(">IIIII", 0, 0, 1, 0, duration), bytes(8),
                     struct.pack(">hhhH", 0, 0, 0, 0), _MATRIX,
                     struct.pack(">II", width << 16, height << 16))
    mdhd = _full_box(b"mdhd", 0, 0, struct.pack(">IIII", 0, 0, timescale, duration),
                     struct.pack(">HH", 0x55C4, 0))  # language "und"
    hdlr = _full_box(b"hdlr", 0, 0, struct.pack(">I", 0), b"vide", bytes(12), b"VideoHandler\0")
    sps, pps = _sps(), _pps()
    avcc = _box(b"avcC", bytes([1, 66, 0xC0, 10, 0xFF, 0xE1]), struct.pack(">H", len(sps)), sps,
                bytes([1]), struct.pack(">H", len(pps)), pps)
    avc1 = _box(b"avc1", bytes(6), struct.pack(">H", 1), bytes(16),
                struct.pack(">HHII", width, height, 0x480000, 0x480000), bytes(4),
                struct.pack(">H", 1), bytes([0]) + bytes(31), struct.pack(">Hh", 0x18, -1), avcc)
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), avc1),
        _full_box(b"stts", 0, 0, struct.pack(">III", 1, count, delta)),
        _full_box(b"stss", 0, 0, struct.pack(f">I{len(sync)}I", len(sync), *sync)),
        _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, count, 1)),
        _full_box(b"stsz", 0, 0, struct.pack(f">II{count}I", 0, count,
                                               *(len(s) for s in samples))),
        _full_box(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset)),
    )
    dinf = _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1),
                                   _full_box(b"url ", 0, 1)))
    vmhd = _full_box(b"vmhd", 0, 1, bytes(8))
    mdia = _box(b"mdia", mdhd, hdlr, _box(b"minf", vmhd, dinf, stbl))
    return _box(b"moov", mvhd, _box(b"trak", tkhd, mdia))


# ---------------------------------------------------------------- MP3


@functools.lru_cache(maxsize=1)
def mp3_bytes() -> bytes:
    """About 2 s of silence: MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, mono, no CRC."""
    header = bytes([0xFF, 0xFB, 0x90, 0xC0])  # sync, MPEG-1 L3 no CRC / 128k 44.1k / mono
    frame = header + bytes(417 - len(header))  # zero side info and main data: silence
    return frame * 77


# ---------------------------------------------------------------- routes


async def serve_image(request: Request) -> Response:
    match = _IMAGE_NAME.match(request.path_params["name"])
    if match is None:
        return Response("not found", status_code=404, media_type="text/plain")
    seed, index, width, height, grid = match.groups()
    body = png_bytes(int(width), int(height), seed, variant=int(index or 0), grid=bool(grid))
    return _file(body, "image/png")


async def serve_video(request: Request) -> Response:
    if not _SAFE_STEM.match(request.path_params["name"]):
        return Response("not found", status_code=404, media_type="text/plain")
    return _file(mp4_bytes(), "video/mp4")


async def serve_audio(request: Request) -> Response:
    if not _SAFE_STEM.match(request.path_params["name"]):
        return Response("not found", status_code=404, media_type="text/plain")
    return _file(mp3_bytes(), "audio/mpeg")


def _file(body: bytes, media_type: str) -> Response:
    return Response(body, media_type=media_type,
                    headers={"Cache-Control": "public, max-age=86400"})


def file_routes() -> list[BaseRoute]:
    return [
        Route("/files/images/{name}", serve_image, methods=["GET", "HEAD"]),
        Route("/files/videos/{name}.mp4", serve_video, methods=["GET", "HEAD"]),
        Route("/files/audio/{name}.mp3", serve_audio, methods=["GET", "HEAD"]),
    ]

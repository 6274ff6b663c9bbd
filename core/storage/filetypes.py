"""File extensions for blob keys: from a Pillow format name, or sniffed from the first
bytes (a URL's name or a platform's metadata may lie). Header sniffing needs no decode."""

from __future__ import annotations

# Pillow format name -> extension used in blob keys and uploads
EXT = {"JPEG": "jpg", "JPG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "TIFF": "tif", "BMP": "bmp"}


def ext_for_format(format_name: str | None) -> str | None:
    """The extension for a Pillow format name (``"JPEG"`` -> ``"jpg"``), None if unknown."""
    return EXT.get((format_name or "").upper())


def sniff_ext(data: bytes, fallback: str = "bin") -> str:
    """The file type by its magic bytes; ``fallback`` when none matches."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tif"
    if data[:2] == b"BM":
        return "bmp"
    return fallback

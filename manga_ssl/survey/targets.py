"""MaNGA's target samples from the MNGTARG1 bits (Primary, Secondary, Colour-enhanced):
read by the sample selection and by the preprocessing's catalogue."""

from __future__ import annotations

from manga_ssl.survey import formats

SAMPLE_NAMES = {
    formats.MNGTARG1_PRIMARY: "primary",
    formats.MNGTARG1_SECONDARY: "secondary",
    formats.MNGTARG1_COLOR_ENHANCED: "color_enhanced",
}


def target_sample(mngtarg1: int) -> str | None:
    for bit, name in SAMPLE_NAMES.items():
        if int(mngtarg1) & (1 << bit):
            return name
    return None

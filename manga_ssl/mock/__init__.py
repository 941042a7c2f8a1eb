"""The embedded mock survey: drawn, observed and written in the DR17 formats, and validated
against its truth and against real catalogues."""

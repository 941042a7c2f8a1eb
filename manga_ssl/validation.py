"""Validation of the embedded mock survey: against its ground truth and against
real MaNGA catalogues (the calibration documented in docs/mock-survey.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from astropy.table import Table

from .ifu import FIBRE_COUNTS

#: catalogue column -> ground-truth column (mock survey).
MEASURED_VS_TRUE = {
    "lambda_re": "lambda_re_true",
    "sigma_cen": "sigma_cen_true",
    "age_lw_re": "age_re",
    "grad_age_lw": "grad_age",
    "zh_lw_re": "zh_re",
    "grad_zh_lw": "grad_zh",
    "rotation_angle": "rotation_angle",
    "re_kpc": "re_kpc",
    "z": "z",
}


def _nmad(x):
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if len(x) else np.nan


def measurements_vs_truth(catalogue: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Correlation, median bias and robust scatter of each map-derived parameter."""
    t = truth.set_index("plateifu").loc[catalogue["plateifu"]]
    rows = []
    for measured, true in MEASURED_VS_TRUE.items():
        x, y = catalogue[measured].to_numpy(float), t[true].to_numpy(float)
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        diff = np.mod(x - y + 180.0, 360.0) - 180.0 if measured == "rotation_angle" else x - y
        r = np.corrcoef(x, y)[0, 1] if measured != "rotation_angle" and len(x) > 2 else np.nan
        rows.append({"parameter": measured, "truth": true, "n": int(ok.sum()), "n_missing": int((~ok).sum()),
                     "pearson_r": r, "median_bias": float(np.median(diff)) if len(diff) else np.nan,
                     "nmad_scatter": _nmad(diff)})
    return pd.DataFrame(rows)


def _stats(values) -> tuple[float, float, float, int]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > -90)]  # catalogue sentinels (-99, -999, -9999)
    if not len(v):
        return (np.nan, np.nan, np.nan, 0)
    p16, p50, p84 = np.percentile(v, [16, 50, 84])
    return p50, p16, p84, len(v)


def _col(table: Table, name: str):
    lower = {c.lower(): c for c in table.colnames}
    return np.asarray(table[lower[name.lower()]], dtype=float)


def mock_vs_real(truth: pd.DataFrame, catalogue: pd.DataFrame, real: dict) -> pd.DataFrame:
    """Medians and 16-84% ranges of the mock (truth and map measurements) and of
    real catalogues: DR14 Pipe3D, MPL-5 drpall, MPL-9 drpcomplete, MDLM DR15."""
    pipe3d = Table.read(real["pipe3d"])
    drpall = Table.read(real["drpall"])
    drpc = Table.read(real["drpcomplete"])
    mdlm = Table.read(real["mdlm"])
    main = (_col(drpall, "mngtarg1").astype(np.int64) & (7 << 10)) > 0
    rows = [
        ("z", catalogue["z"], _col(drpall, "nsa_z")[main], "MPL-5 drpall NSA_Z (main sample)"),
        ("Re [arcsec]", catalogue["re_arcsec"], _col(drpall, "nsa_elpetro_th50_r")[main], "MPL-5 drpall NSA_ELPETRO_TH50_R"),
        ("Re [arcsec] (DAP)", catalogue["re_arcsec"], _col(drpc, "reff"), "MPL-9 drpcomplete REFF"),
        ("Re [kpc]", catalogue["re_kpc"], _col(pipe3d, "re_kpc"), "DR14 Pipe3D re_kpc"),
        ("log M* [Msun]", catalogue["log_mass"], _col(pipe3d, "log_mass"), "DR14 Pipe3D log_mass"),
        ("log SFR [Msun/yr]", catalogue["log_sfr"], _col(pipe3d, "log_sfr_ha"), "DR14 Pipe3D log_sfr_ha"),
        ("LW log age at Re [yr] (maps)", catalogue["age_lw_re"], _col(pipe3d, "age_lw_re_fit"), "DR14 Pipe3D age_lw_re_fit"),
        ("LW [Z/H] at Re (maps)", catalogue["zh_lw_re"], _col(pipe3d, "zh_lw_re_fit"), "DR14 Pipe3D zh_lw_re_fit"),
        ("grad age 0.5-2 Re (maps)", catalogue["grad_age_lw"], _col(pipe3d, "alpha_age_lw_re_fit"), "DR14 Pipe3D alpha_age_lw_re_fit"),
        ("sigma_cen [km/s] (maps)", catalogue["sigma_cen"], _col(pipe3d, "sigma_cen"), "DR14 Pipe3D sigma_cen"),
        ("lambda_Re (maps)", catalogue["lambda_re"], _col(pipe3d, "lambda_re"), "DR14 Pipe3D lambda_re"),
        ("ellipticity 1-b/a", catalogue["ellipticity"], _col(drpc, "ell"), "MPL-9 drpcomplete ELL"),
        ("T-Type", catalogue["t_type"], _col(mdlm, "ttype"), "MDLM DR15 TTYPE"),
    ]
    out = []
    for name, mock, data, source in rows:
        m, r = _stats(mock), _stats(data)
        out.append({"quantity": name, "mock_median": m[0], "mock_p16": m[1], "mock_p84": m[2], "mock_n": m[3],
                    "real_median": r[0], "real_p16": r[1], "real_p84": r[2], "real_n": r[3], "real_source": source})
    real_sizes = _col(drpall, "ifudesignsize")[main]
    mock_sizes = catalogue["n_fibres"].to_numpy()
    for f in FIBRE_COUNTS:
        out.append({"quantity": f"fraction in {f}-fibre IFUs", "mock_median": float(np.mean(mock_sizes == f)),
                    "mock_n": len(mock_sizes), "real_median": float(np.mean(real_sizes == f)),
                    "real_n": len(real_sizes), "real_source": "MPL-5 drpall IFUDESIGNSIZE (main sample)"})
    return pd.DataFrame(out)


def to_markdown(df: pd.DataFrame) -> str:
    def rng(row, who):
        med, lo, hi = row[f"{who}_median"], row.get(f"{who}_p16"), row.get(f"{who}_p84")
        if pd.isna(lo):
            return f"{med:.3g}"
        return f"{med:.3g} [{lo:.3g}, {hi:.3g}]"

    lines = ["| quantity | mock: median [16%, 84%] | real: median [16%, 84%] | real source (N) |",
             "|---|---|---|---|"]
    for _, row in df.iterrows():
        lines.append(f"| {row['quantity']} | {rng(row, 'mock')} | {rng(row, 'real')} | "
                     f"{row['real_source']} ({int(row['real_n'])}) |")
    return "\n".join(lines) + "\n"

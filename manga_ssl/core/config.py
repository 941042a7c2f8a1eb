"""Configuration: validation against the JSON schema, with messages that name the key."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

from manga_ssl.core.names import BASELINES, PAPER_METHOD, Representation


class ConfigError(ValueError):
    """The configuration does not match the schema; the message lists every problem."""


def _fill_defaults(config: dict, schema: dict) -> None:
    for key, sub in schema.get("properties", {}).items():
        if key not in config and "default" in sub:
            config[key] = copy.deepcopy(sub["default"])
        if isinstance(config.get(key), dict) and sub.get("type") == "object":
            _fill_defaults(config[key], sub)


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _describe(err: jsonschema.ValidationError) -> str:
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        allowed = ", ".join(sorted(err.schema.get("properties", {})))
        where = _key(err.absolute_path)
        return "; ".join(
            f"config key '{_key([*err.absolute_path, k])}' is not a known setting (allowed under {where}: {allowed})"
            for k in extra
        )
    if err.validator == "oneOf":  # say what each alternative allows
        options = [" ".join(f"{k} {v}" for k, v in sub.items()) for sub in err.validator_value]
        return f"config key '{_key(err.absolute_path)}': {err.instance!r} is none of: {'; '.join(options)}"
    return f"config key '{_key(err.absolute_path)}': {err.message}"


def validate_config(config: dict, schema_path) -> dict:
    """Fill defaults into ``config`` (in place) and validate it; raise ConfigError."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    _fill_defaults(config, schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    problems = [_describe(e) for e in errors] or _method_problems(config, schema) or _consistency(config)
    if problems:
        lines = "\n  - ".join(problems)
        raise ConfigError(f"invalid configuration ({len(problems)} problem(s)):\n  - {lines}")
    return config


#: simclr settings that change how h is computed from a trained encoder, not the training
EMBEDDING_KEYS = (
    "dihedral_average",
    "central_aperture",
    "augmented_views",
    "erase_instrument",
    "erase_given",
    "erase_categorical",
    "erase_interactions",
)


def channel_set_seeds(seeds: list, replicas: int | None) -> list:
    """The replicas of an appendix channel set: the first ``replicas`` of ``seeds``
    (simclr.channel_set_replicas; None: every seed). The five maps train every seed."""
    return list(seeds) if replicas is None else list(seeds)[: int(replicas)]


def method_settings(simclr: dict, method: str) -> dict:
    """The simclr section with a method's overrides merged in (dicts key by key, e.g. the
    augmentations); the paper's method is the section itself. A method with ``encoders_of``
    is merged over that method's settings (it embeds that method's encoders)."""
    if method == PAPER_METHOD:
        return simclr
    overrides = simclr["methods"][method]
    source = overrides.get("encoders_of") or PAPER_METHOD
    base = simclr if source in (PAPER_METHOD, method) else method_settings(simclr, source)
    merged = {k: v for k, v in base.items() if k != "methods"}
    for key, value in overrides.items():
        merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
    return merged


def encoders_method(simclr: dict, method: str) -> str:
    """The method whose trained encoders a method's h is computed from: its ``encoders_of``,
    or itself."""
    if method == PAPER_METHOD:
        return method
    return simclr.get("methods", {}).get(method, {}).get("encoders_of") or method


def _method_problems(config: dict, schema: dict) -> list[str]:
    """Each of simclr.methods, merged over the paper's settings, must be valid simclr settings."""
    simclr_schema = schema["properties"]["simclr"]
    problems = []
    methods = config["simclr"].get("methods", {})
    if config["simclr"].get("encoders_of"):
        problems.append("config key 'simclr.encoders_of' can only be set per method (simclr.methods)")
    for name, overrides in methods.items():
        for key in set(overrides) & {"seeds", "channel_set_replicas", "variants", "methods"}:
            problems.append(f"config key 'simclr.methods.{name}.{key}' cannot be set per method")
        source = overrides.get("encoders_of")
        if source:
            if source != PAPER_METHOD and (source not in methods or methods[source].get("encoders_of")):
                problems.append(
                    f"config key 'simclr.methods.{name}.encoders_of': '{source}' is not 'paper' or a method "
                    f"that trains its own encoders (known: {', '.join(sorted(methods))})"
                )
                continue
            training = sorted(set(overrides) - {*EMBEDDING_KEYS, "encoders_of"})
            if training:
                problems.append(
                    f"config keys {', '.join(f'simclr.methods.{name}.{k}' for k in training)} change the "
                    f"training, but the method embeds the encoders of '{source}' (encoders_of): "
                    f"only {', '.join(EMBEDDING_KEYS)} may be set"
                )
                continue
        merged = method_settings(config["simclr"], name)
        for err in jsonschema.Draft202012Validator(simclr_schema).iter_errors(merged):
            text = _describe(err).replace("config key '", f"config key 'simclr.methods.{name}.", 1)
            problems.append(text.replace("(allowed under ", f"(allowed under simclr.methods.{name}."))
        problems += _erasure_problems(merged, f"simclr.methods.{name}")
    return problems + _erasure_problems(config["simclr"], "simclr")


def _erasure_problems(settings: dict, where: str) -> list[str]:
    """The erasure's keys must agree: categories among the erased columns, interactions
    with the physics only when the physics is given."""
    problems = []
    stray = [c for c in settings.get("erase_categorical", []) if c not in settings.get("erase_instrument", [])]
    if stray:
        problems.append(
            f"config key '{where}.erase_categorical' names {stray}, which '{where}.erase_instrument' "
            f"does not ({settings.get('erase_instrument', [])})"
        )
    if settings.get("erase_interactions") and not settings.get("erase_given"):
        problems.append(
            f"config key '{where}.erase_interactions' multiplies the instrument by the physics: "
            f"'{where}.erase_given' must name the physical columns"
        )
    return problems


def _consistency(config: dict) -> list[str]:
    """Rules that tie several keys together, which JSON Schema cannot say."""
    problems = []
    simclr = config.get("simclr", {})
    if len(simclr.get("conv_filters", [])) != len(simclr.get("kernel_sizes", [])):
        problems.append(
            "config keys 'simclr.conv_filters' and 'simclr.kernel_sizes' must have the same length "
            f"(one kernel size per convolution): {simclr.get('conv_filters')} vs "
            f"{simclr.get('kernel_sizes')}"
        )
    replicas, seeds = simclr.get("channel_set_replicas"), simclr.get("seeds", [])
    if replicas is not None and replicas > len(seeds):
        problems.append(
            f"config key 'simclr.channel_set_replicas': {replicas} replicas, but simclr.seeds "
            f"has {len(seeds)} ({seeds}): the channel sets train the first n of them"
        )
    sets = config.get("channel_sets", {})
    for k, variant in enumerate(simclr.get("variants", [])):
        if variant["channels"] not in sets:
            problems.append(
                f"config key 'simclr.variants.{k}.channels': '{variant['channels']}' is not a "
                f"channel set (known: {', '.join(sorted(sets))})"
            )
        method = variant.get("method", PAPER_METHOD)
        if method != PAPER_METHOD and method not in simclr.get("methods", {}):
            problems.append(
                f"config key 'simclr.variants.{k}.method': '{method}' is not in simclr.methods "
                f"(known: {', '.join(sorted(simclr.get('methods', {}))) or 'none'})"
            )
        if variant["normalisation"] not in config.get("preprocessing", {}).get("normalisations", []):
            problems.append(
                f"config key 'simclr.variants.{k}.normalisation': '{variant['normalisation']}' is not "
                "in preprocessing.normalisations"
            )
    for norm in config.get("baselines", {}).get("normalisations", []):
        if norm not in config.get("preprocessing", {}).get("normalisations", []):
            problems.append(f"config key 'baselines.normalisations': '{norm}' is not in preprocessing.normalisations")
    analysis = config.get("analysis", {})
    for key in ("k_chosen", "k_fallback"):
        for norm, k in analysis.get(key, {}).items():
            if k != "auto" and k not in analysis.get("k_values", [k]):
                problems.append(f"config key 'analysis.{key}.{norm}': {k} is not in analysis.k_values")
    truth_k = analysis.get("truth_k")
    if truth_k is not None and not (
        truth_k in analysis.get("k_values", [truth_k]) and truth_k in analysis.get("pca_k_values", [truth_k])
    ):
        problems.append(
            f"config key 'analysis.truth_k': {truth_k} must be in analysis.k_values and analysis.pca_k_values"
        )
    names = [str(Representation.simclr(v)) for v in simclr.get("variants", [])]
    names += [f"{base}-{norm}" for norm in config.get("baselines", {}).get("normalisations", []) for base in BASELINES]
    for name in config.get("explorer", {}).get("representations", []):
        if name not in names:
            problems.append(
                f"config key 'explorer.representations': '{name}' is not a representation of this run "
                f"(known: {', '.join(names)})"
            )
    aug = simclr.get("augmentations", {})
    if aug.get("blur_kernel", 3) % 2 == 0:
        problems.append(f"config key 'simclr.augmentations.blur_kernel': {aug['blur_kernel']} must be odd")
    for key in ("resize_range", "blur_sigma", "footprint_scale"):
        lo, hi = aug.get(key, (0, 1))
        if lo > hi:
            problems.append(f"config key 'simclr.augmentations.{key}': lower bound {lo} exceeds upper bound {hi}")
    return problems


def load_config(path, schema_path) -> dict:
    with open(path) as fh:
        return validate_config(yaml.safe_load(fh) or {}, schema_path)

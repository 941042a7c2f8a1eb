# Helpers shared by every rule file; no rule lives here.
import os
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError

from manga_ssl.core.code_inputs import modules_used_by
from manga_ssl.core.config import (
    EMBEDDING_KEYS,
    channel_set_seeds,
    encoders_method,
    method_settings,
    validate_config,
)
from manga_ssl.survey.datasets import Dr17Archive
from manga_ssl.core.files import JsonNumbers
from manga_ssl.core.names import (
    REPRESENTATION_PATTERN,
    VARIANT_TAG_PATTERN,
    Representation,
    input_key,
    split_tag,
)

validate_config(config, workflow.source_path("../schemas/config.schema.yaml"))

# TensorFlow runs its oneDNN kernels by default only on CPUs with VNNI, bfloat16 or AMX
# instructions; on an AVX2-only CPU its fallback convolutions train the demo's encoder 1.8
# times slower (docs/benchmarks.md). Every job inherits this; a user's own setting wins.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

RUN = config["run_name"]
RESULTS = f"results/{RUN}"
LOGS = f"logs/{RUN}"
BENCHMARKS = f"benchmarks/{RUN}"
# Generated inputs of the embedded default dataset.
MOCK = f"resources/{RUN}/mock"
# Downloaded DR17 products, shared by every run.
DR17 = config["download"]["directory"]
# Catalogue file name -> product, as on the SAS.
CATALOGUE_FILES = {
    Path(url).name: product for product, url in Dr17Archive().catalogues.items()
}

NORMALISATIONS = config["preprocessing"]["normalisations"]
# Files read by several rules (wildcards in double braces).
CATALOGUE = f"{RESULTS}/preprocess/catalogue.parquet"
TENSORS = f"{RESULTS}/tensors/{{normalisation}}.npz"
ENCODER = f"{RESULTS}/simclr/{{normalisation}}-{{channels}}/seed{{seed}}/encoder.keras"
EMBEDDING = (
    f"{RESULTS}/embeddings/simclr-{{normalisation}}-{{channels}}-seed{{seed}}.parquet"
)
SEEDS = config["simclr"]["seeds"]  # the replicas of every five-map SimCLR variant
# The appendix's channel sets: one model each, as the paper's (simclr.channel_set_replicas).
CHANNEL_SET_SEEDS = channel_set_seeds(SEEDS, config["simclr"]["channel_set_replicas"])
# Channel tags of the five maps ('all', 'all+erased', ...) and of the channel sets.
FIVE_MAP_TAG = r"all(\+[a-z0-9_]+)?"
CHANNEL_SET_TAG = r"(?!all(?![a-z0-9_]))[a-z0-9_]+(\+[a-z0-9_]+)?"
SELECTION = f"{RESULTS}/sample/selection.csv"
DOWNLOADS = f"{RESULTS}/sample/downloads.csv"
MAPS = f"{RESULTS}/preprocess/maps.npz"
TRUTH_ACCURACY = f"{RESULTS}/bias/truth/accuracy.csv"
EXPLORER = f"{RESULTS}/explorer/explorer.html"
BENCHMARKS_TABLE = f"{RESULTS}/report/benchmarks.csv"
TRUTH = f"{MOCK}/truth.parquet"
TABLE1 = f"{RESULTS}/tables/table1.csv"
ACCEPTED_K = f"{RESULTS}/tables/accepted_k.json"
OVERLAPS = f"{RESULTS}/tables/overlaps.csv"
MEASUREMENTS_VS_TRUTH = f"{RESULTS}/validation/measurements_vs_truth.csv"
MOCK_VS_REAL = f"{RESULTS}/validation/mock_vs_real.md"


def labels_path(name):
    """A representation's K-means labels (every k, replica and K-means seed)."""
    return f"{RESULTS}/clusters/{name}/labels.parquet"


def umap_path(name):
    """A representation's UMAP (its reference replica)."""
    return f"{RESULTS}/umap/{name}.parquet"


# The science package, beside the Snakefile.
PACKAGE = Path(workflow.basedir) / "manga_ssl"


wildcard_constraints:
    normalisation="relative|individual",
    catalogue="|".join(re.escape(name) for name in CATALOGUE_FILES),
    channels=VARIANT_TAG_PATTERN,
    seed=r"\d+",
    representation=REPRESENTATION_PATTERN,


def code_of(script):
    """The package modules a rule's script uses, read from its imports (transitively): editing
    one reruns exactly the rules that run it (Snakemake compares modification times)."""
    path = Path(workflow.basedir) / "workflow" / "scripts" / f"{script}.py"
    return list(modules_used_by(str(path), str(PACKAGE)))


def catalogue_product(wildcards):
    """The DR17 product a catalogue file is (drpall, dapall, ...)."""
    return CATALOGUE_FILES[wildcards.catalogue]


def survey_files():
    """Every file and folder of the survey that preprocessing reads (see manga_ssl.survey.datasets)."""
    if config["dataset"] == "manga-dr17":
        library = config["download"]["firefly_library"]
        return {
            "drpall": f"{DR17}/drpall-v3_1_1.fits",
            "pipe3d_catalogue": f"{DR17}/SDSS17Pipe3D_v3_1_1.fits",
            "mdlm": f"{DR17}/manga-morphology-dl-DR17.fits",
            "firefly": f"resources/{RUN}/firefly/manga-firefly-v3_1_1-{library}.fits",
            "selection": SELECTION,
            "downloads": DOWNLOADS,
        }
    return MOCK_SURVEY


# The mock survey's files and folders (one file per galaxy), written by mock_survey.
MOCK_SURVEY = {
    "drpall": f"{MOCK}/drpall-v3_1_1.fits",
    "pipe3d_catalogue": f"{MOCK}/SDSS17Pipe3D_v3_1_1.fits",
    "mdlm": f"{MOCK}/manga-morphology-dl-DR17.fits",
    "firefly": f"{MOCK}/firefly/manga-firefly-v3_1_1-miles.fits",
    "pipe3d": f"{MOCK}/pipe3d",
    "dap": f"{MOCK}/dap",
    "rband": f"{MOCK}/rband",
}


def real_catalogues():
    """The public catalogues that calibrate the mock survey, when present."""
    folder = Path(config["validation"]["real_catalogues"])
    names = {
        "pipe3d": "manga.Pipe3D-v2_1_2.fits",
        "drpall": "mpl5_cat_drpall-v2_0_1_subset.fits",
        "drpcomplete": "drpcomplete_v2_7_1.fits",
        "mdlm": "manga-morphology-dl-DR15.fits",
    }
    paths = {k: folder / v for k, v in names.items()}
    return (
        {k: str(p) for k, p in paths.items()}
        if all(p.exists() for p in paths.values())
        else {}
    )


def figure_files(name):
    """A figure's PDF, its PNG (in the report, captioned by workflow/report/<name>.rst) and
    the numbers its caption quotes."""
    return {
        "pdf": f"{RESULTS}/figures/{name}.pdf",
        "png": report(
            f"{RESULTS}/figures/{name}.png",
            caption=f"../report/{name}.rst",
            category="Figures",
        ),
        "numbers": figure_json(name),
    }


def figure_json(name):
    return f"{RESULTS}/figures/{name}.json"


def figure_numbers(name):
    """The numbers a figure's caption quotes, read when the report is made."""
    return JsonNumbers(figure_json(name))


def channel_set(wildcards):
    """The input maps of a variant's channel set (config 'channel_sets'), by name."""
    return config["channel_sets"][split_tag(wildcards.channels)[0]]


def seeds_of(channels):
    """The replicas of a variant, by its channel tag: every seed for the five maps, the
    first simclr.channel_set_replicas for a channel set of the appendix."""
    return SEEDS if split_tag(channels)[0] == "all" else CHANNEL_SET_SEEDS


def variant_settings(wildcards):
    """The whole simclr section of a variant: the paper's, or overridden by its method
    (config 'simclr.methods', beyond the paper)."""
    _, method = split_tag(wildcards.channels)
    return method_settings(config["simclr"], method)


def simclr_settings(wildcards):
    """A variant's training settings. Without the lists of seeds, variants and methods, so
    that adding a replica or a method never retrains the others, nor the embedding's."""
    return {
        k: v
        for k, v in variant_settings(wildcards).items()
        if k
        not in (
            "seeds",
            "channel_set_replicas",
            "variants",
            "methods",
            "encoders_of",
            *EMBEDDING_KEYS,
        )
    }


def embedding_settings(wildcards):
    """A variant's embedding settings (the embedding rule takes them, so that changing one
    never retrains)."""
    settings = variant_settings(wildcards)
    embedding = {k: settings[k] for k in EMBEDDING_KEYS}
    # augmented views are drawn as the method's training draws its views
    if settings["augmented_views"] > 0:
        embedding["augmentations"] = settings["augmentations"]
    return embedding


def trains_own_encoders(variant):
    """False for a variant whose method embeds another method's encoders (encoders_of)."""
    method = Representation.simclr(variant).method
    return encoders_method(config["simclr"], method) == method


def encoders_source(normalisation, tag):
    """The variant whose trained encoders a variant's h comes from: itself, or the one of
    its encoders_of method."""
    channels, method = split_tag(tag)
    return Representation(
        "simclr", normalisation, channels, encoders_method(config["simclr"], method)
    )


def embedding_inputs(wildcards):
    """The trained encoders a variant's h comes from (those of its encoders_of method, if
    any), and the catalogue when h is erased of the instrument (simclr.erase_instrument).
    """
    source = encoders_source(wildcards.normalisation, wildcards.channels)
    inputs = {
        "encoders": expand(
            ENCODER,
            normalisation=source.normalisation,
            channels=source.tag,
            seed=seeds_of(source.tag),
        )
    }
    if variant_settings(wildcards)["erase_instrument"]:
        inputs["catalogue"] = CATALOGUE
    return inputs


def checkpoint_path(wildcards):
    """Training checkpoint; not a declared output, so Snakemake keeps it when a job dies."""
    return (
        f"{RESULTS}/checkpoints/{wildcards.normalisation}-{wildcards.channels}"
        f"-seed{wildcards.seed}.npz"
    )


def simclr_variant_names():
    return [str(Representation.simclr(v)) for v in config["simclr"]["variants"]]


def pca_names():
    return [
        str(Representation(pca, norm))
        for norm in config["baselines"]["normalisations"]
        for pca in ("pca1024", "pca10")
    ]


def summary_names():
    """The summary-statistics baseline (beyond the paper), when configured."""
    if not config["baselines"]["summary_statistics"]:
        return []
    return [
        str(Representation("summary", norm))
        for norm in config["baselines"]["normalisations"]
    ]


def baseline_names():
    return pca_names() + summary_names()


def representation_names():
    return simclr_variant_names() + baseline_names()


def embedding_tables():
    """Every representation table: one per trained replica, one per baseline."""
    return [t for n in representation_names() for t in tables_of(n)]


def representation_tables(wildcards):
    """Every replica's table of a representation (one table for a baseline)."""
    return tables_of(wildcards.representation)


def tables_of(name):
    r = Representation.parse(name)
    if r.is_simclr:
        return expand(
            EMBEDDING,
            normalisation=r.normalisation,
            channels=r.tag,
            seed=seeds_of(r.tag),
        )
    return [f"{RESULTS}/embeddings/{name}.parquet"]


def first_table(wildcards):
    """The reference replica's table (the first seed), shown in the UMAP figures."""
    return tables_of(wildcards.representation)[0]


def k_values(wildcards):
    """Table 1's k range. The baselines' and the appendix's channel sets' (none) are completed
    with the division studied when the job runs (division_of)."""
    rep = Representation.parse(wildcards.representation)
    if not rep.is_simclr:
        return config["analysis"]["pca_k_values"]
    if rep.channels != "all":
        return []
    return config["analysis"]["k_values"]


# The division each normalisation studies (analysis.k_chosen; manga_ssl.analysis.divisions).
DIVISIONS = f"{RESULTS}/tables/divisions.json"


def division_of(wildcards):
    """The baselines and the appendix's channel sets are clustered at the division studied
    too; the five-map SimCLR representations decide it."""
    rep = Representation.parse(wildcards.representation)
    if not rep.is_simclr or rep.channels != "all":
        return {"divisions": DIVISIONS}
    return {}


def trained_paper_divisions():
    """Normalisations whose five-map paper-method representation is trained: their Table 1
    numbers decide the division studied."""
    names = set(simclr_variant_names())
    return [n for n in NORMALISATIONS if str(Representation("simclr", n)) in names]


def division_inputs():
    return {
        f"{kind}_{norm}": f"{RESULTS}/{folder}/simclr-{norm}-all/{kind}.csv"
        for norm in trained_paper_divisions()
        for kind, folder in (("agreement", "clusters"), ("accuracy", "bias"))
    }


def table1_inputs():
    """Every representation's agreement and accuracies; on the mock survey also those of
    the true divisions (rule bias_truth reads the truth)."""
    names = representation_names()
    inputs = {
        "agreement": [f"{RESULTS}/clusters/{n}/agreement.csv" for n in names],
        "accuracy": [f"{RESULTS}/bias/{n}/accuracy.csv" for n in names],
    }
    if config["dataset"] == "mock":
        inputs["truth_accuracy"] = TRUTH_ACCURACY
    return inputs


def overlap_comparisons():
    """Fig. 7 (relative vs individual, five maps) and the appendix's channel sets vs five maps,
    each at its normalisation's division studied."""
    names = set(simclr_variant_names())
    comps = []
    if {"simclr-relative-all", "simclr-individual-all"} <= names:
        comps.append(("simclr-relative-all", "simclr-individual-all"))
    for v in config["simclr"]["variants"]:
        rep = Representation.simclr(v)
        base = str(Representation("simclr", rep.normalisation, "all", rep.method))
        if rep.channels != "all" and base in names:
            comps.append((base, str(rep)))
    return comps


def labels_inputs(names):
    """Named inputs: the K-means labels of each representation."""
    return {input_key(n): labels_path(n) for n in names}


def overlap_labels():
    return labels_inputs(sorted({n for pair in overlap_comparisons() for n in pair}))


def truth_labels():
    return labels_inputs(truth_representations())


INSTRUMENT_ATTRIBUTION = f"{RESULTS}/tables/instrument_attribution.csv"
DIVISIONS_VS_TRUTH = f"{RESULTS}/validation/divisions_vs_truth.csv"
# The bias regression's divisions, samples, splits and classifier: the bias and attribution
# rules all take these, so that the attribution's total stays Table 1's ΔAcc.
BIAS_SAMPLE = {
    "replicas": config["analysis"]["bias_replicas"],
    "kmeans_seeds": config["analysis"]["bias_kmeans_seeds"],
    "seed": config["analysis"]["bias_seed"],
    "fit": config["analysis"]["bias_fit"],
}


def attribution_path(name):
    """A representation's ΔAcc non-phys given phys by parameter (analysis.attribution_k)."""
    return f"{RESULTS}/bias/{name}/attribution.csv"


def attribution_inputs():
    """Every representation's attribution, then the true divisions' on the mock survey."""
    names = representation_names() + (["truth"] if config["dataset"] == "mock" else [])
    return [attribution_path(n) for n in names]


def analysis_outputs():
    out = [f"{RESULTS}/tables/table1.md"]
    if config["analysis"]["attribution_k"]:
        out.append(INSTRUMENT_ATTRIBUTION)
    out += expand(
        f"{RESULTS}/tables/table2-{{normalisation}}.md",
        normalisation=[
            v["normalisation"]
            for v in config["simclr"]["variants"]
            if v["channels"] == "all" and Representation.simclr(v).is_paper_method
        ],
    )
    if overlap_comparisons():
        out.append(OVERLAPS)
    out += [umap_path(n) for n in representation_names()]
    if config["dataset"] == "mock" and truth_representations():
        out.append(f"{RESULTS}/validation/representations_vs_truth.md")
    if config["dataset"] == "mock":
        out.append(DIVISIONS_VS_TRUTH)
    return out


def truth_tables():
    return [t for n in truth_representations() for t in tables_of(n)]


def truth_representations():
    """SimCLR relative (five maps, every method) and the baselines, when they are part of the run."""
    names = [
        n
        for n in representation_names()
        if (r := Representation.parse(n)).normalisation == "relative"
        and r.channels == "all"
        or not r.is_simclr
    ]
    return names if "simclr-relative-all" in names else []


def history_files(wildcards):
    """Every replica's loss history, named for the legend."""
    return {
        f"{v['normalisation']} {r.tag} seed {seed}": f"{RESULTS}/simclr/{v['normalisation']}-{r.tag}/seed{seed}/history.csv"
        for v in config["simclr"]["variants"]
        if (r := Representation.simclr(v)) and trains_own_encoders(v)
        for seed in seeds_of(r.tag)
    }


def figure_outputs():
    """The paper's figures whose representations this run trains."""
    names = set(simclr_variant_names())
    pca = "pca1024-relative" in pca_names()
    figs = ["loss_curves", "division_performance"]
    if "simclr-relative-all" in names:
        figs += ["fig1_augmentations", "fig4_ttype"] + (
            ["fig2_umap_pca_vs_simclr"] if pca else []
        )
    if {"simclr-relative-all", "simclr-individual-all"} <= names:
        figs += ["fig5_umap_normalisations", "fig6_centroid_examples", "fig7_overlap"]
        figs += ["fig3_physical_planes"] if pca else []
        if {"simclr-relative-no_vband", "simclr-individual-no_vband"} <= names:
            figs.append("fig8_ttype_appendix")
    if {
        "simclr-relative-all",
        "simclr-relative-no_vband",
        "simclr-relative-vband_kinematics",
    } <= names:
        figs.append("fig9_cluster_properties")
    return [f"{RESULTS}/figures/{f}.png" for f in figs]


def explorer_representations():
    """The explorer's representations: as configured, else every five-map SimCLR one and PCA-1024."""
    chosen = config["explorer"]["representations"]
    if chosen:
        return chosen
    return [n for n in simclr_variant_names() if n.endswith("-all")] + [
        n for n in pca_names() if Representation.parse(n).kind == "pca1024"
    ]


def explorer_inputs():
    names = explorer_representations()
    return {
        "umaps": [umap_path(n) for n in names],
        "labels": [labels_path(n) for n in names],
        "tables": [tables_of(n)[0] for n in names],
    }


def run_products():
    """Everything the run makes except its summary (which must come last)."""
    out = expand(TENSORS, normalisation=NORMALISATIONS)
    out.append(CATALOGUE)
    out += embedding_tables() + analysis_outputs() + figure_outputs()
    out += [VAC, VAC_REPRESENTATIONS]
    if explorer_representations():
        out.append(EXPLORER)
    if config["dataset"] == "mock":
        out.append(MEASUREMENTS_VS_TRUTH)
        if real_catalogues():
            out.append(MOCK_VS_REAL)
    return out


# The value-added catalogue and its representations (manga_ssl.catalogue.vac).
VAC = f"{RESULTS}/catalogue/manga-ssl-{RUN}.fits"
VAC_REPRESENTATIONS = f"{RESULTS}/catalogue/manga-ssl-{RUN}-representations.fits"


def catalogue_inputs():
    """Each representation's UMAP, K-means labels and reference replica's table (the UMAP's)."""
    out = {}
    for n in representation_names():
        key = input_key(n)
        out[f"umap_{key}"] = umap_path(n)
        out[f"labels_{key}"] = labels_path(n)
        out[f"reference_{key}"] = tables_of(n)[0]
    return out


def simclr_replica_tables():
    """Every SimCLR representation's replica tables, by input key."""
    return {input_key(n): tables_of(n) for n in simclr_variant_names()}


def encoder_wildcards():
    """(normalisation, channels, seed) of every encoder the run trains: each variant's own
    replicas, or those of the method whose encoders it embeds (encoders_of)."""
    out = []
    for variant in config["simclr"]["variants"]:
        rep = Representation.simclr(variant)
        source = encoders_source(rep.normalisation, rep.tag)
        out += [
            {"normalisation": source.normalisation, "channels": source.tag, "seed": s}
            for s in seeds_of(source.tag)
        ]
    return out


def run_benchmarks():
    """The benchmark file of every job this configuration can make, with the rule that
    writes it, for the run's table of them (run_summary). The folder also keeps the files
    of jobs that an earlier configuration of the same run made (a replica, a variant or a
    channel set since dropped); those are not this run's. The summary's own is written
    after it."""
    variants = [Representation.simclr(v) for v in config["simclr"]["variants"]]
    normalisations = set(NORMALISATIONS) | set(config["baselines"]["normalisations"])
    by_wildcards = {
        (): [{}],
        ("normalisation",): [{"normalisation": n} for n in sorted(normalisations)],
        ("representation",): [{"representation": n} for n in representation_names()],
        ("catalogue",): [{"catalogue": c} for c in CATALOGUE_FILES],
        ("channels", "normalisation"): [
            {"normalisation": r.normalisation, "channels": r.tag} for r in variants
        ],
        ("channels", "normalisation", "seed"): encoder_wildcards(),
    }
    out = {}
    for step in workflow.rules:
        benchmark = step.benchmark
        if not benchmark or step.name == "run_summary":
            continue
        names = tuple(sorted(step.wildcard_names))
        if names not in by_wildcards:
            raise WorkflowError(
                f"the benchmark of {step.name} has wildcards {names}, which "
                "run_benchmarks (workflow/rules/common.smk) does not list; add them there"
            )
        out.update(
            {str(benchmark.apply_wildcards(w)): step.name for w in by_wildcards[names]}
        )
    return dict(sorted(out.items()))


def get_final_output():
    return run_products() + [BENCHMARKS_TABLE]

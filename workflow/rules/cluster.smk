rule kmeans:
    """Section 4.2: K-means on every replica for every k and K-means seed; labels matched
    to the reference replica; the agreement score."""
    input:
        unpack(division_of),
        tables=representation_tables,
        catalogue=CATALOGUE,
        code=code_of("kmeans"),
    output:
        labels=labels_path("{representation}"),
        agreement=f"{RESULTS}/clusters/{{representation}}/agreement.csv",
    log:
        f"{LOGS}/kmeans/{{representation}}.log",
    benchmark:
        f"{BENCHMARKS}/kmeans/{{representation}}.tsv"
    conda:
        "../../envs/analysis.yaml"
    # single-threaded products are the fastest here; representations run side by side
    threads: 1
    params:
        k_values=k_values,
        kmeans_seeds=config["analysis"]["kmeans_seeds"],
        n_init=config["analysis"]["kmeans_n_init"],
        agreement_fraction=config["analysis"]["agreement_fraction"],
        warm_start_dims=config["analysis"]["kmeans_warm_start_dims"],
    script:
        "../scripts/kmeans.py"


rule umap:
    """Sections 4.1, 5.1: the reference replica's representation in two dimensions."""
    input:
        table=first_table,
        code=code_of("umap"),
    output:
        umap=umap_path("{representation}"),
    log:
        f"{LOGS}/umap/{{representation}}.log",
    benchmark:
        f"{BENCHMARKS}/umap/{{representation}}.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        seed=config["analysis"]["umap_seed"],
        n_neighbors=config["analysis"]["umap_n_neighbors"],
        min_dist=config["analysis"]["umap_min_dist"],
    script:
        "../scripts/umap.py"


rule cluster_overlaps:
    """Fig. 7 (relative vs individual clusters) and the appendix's channel-set overlaps."""
    input:
        **overlap_labels(),
        divisions=DIVISIONS,
        code=code_of("cluster_overlaps"),
    output:
        overlaps=OVERLAPS,
        fig7=multiext(f"{RESULTS}/tables/fig7_overlap", ".csv", ".md", ".tex"),
    log:
        f"{LOGS}/cluster_overlaps.log",
    benchmark:
        f"{BENCHMARKS}/cluster_overlaps.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        comparisons=overlap_comparisons(),
    script:
        "../scripts/cluster_overlaps.py"

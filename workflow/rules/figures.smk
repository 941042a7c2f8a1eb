rule fig1_augmentations:
    """Fig. 1: the five input maps of one galaxy and each augmentation's effect."""
    input:
        tensors=f"{RESULTS}/tensors/relative.npz",
        catalogue=CATALOGUE,
        code=code_of("fig1_augmentations"),
    output:
        **figure_files("fig1_augmentations"),
    log:
        f"{LOGS}/figures/fig1_augmentations.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig1_augmentations.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        numbers=figure_numbers("fig1_augmentations"),
    script:
        "../scripts/fig1_augmentations.py"


rule fig2_umap_pca_vs_simclr:
    """Fig. 2: UMAP of PCA-1024 (a) vs SimCLR (b), instrumental and physical colours."""
    input:
        pca=umap_path("pca1024-relative"),
        simclr=umap_path("simclr-relative-all"),
        catalogue=CATALOGUE,
        code=code_of("fig2_umap_pca_vs_simclr"),
    output:
        **figure_files("fig2_umap_pca_vs_simclr"),
    log:
        f"{LOGS}/figures/fig2_umap_pca_vs_simclr.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig2_umap_pca_vs_simclr.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=figure_numbers("fig2_umap_pca_vs_simclr"),
    script:
        "../scripts/fig2_umap_pca_vs_simclr.py"


rule fig3_physical_planes:
    """Fig. 3: clusters in the four physical planes."""
    input:
        simclr_relative=labels_path("simclr-relative-all"),
        pca=labels_path("pca1024-relative"),
        simclr_individual=labels_path("simclr-individual-all"),
        divisions=DIVISIONS,
        catalogue=CATALOGUE,
        code=code_of("fig3_physical_planes"),
    output:
        **figure_files("fig3_physical_planes"),
    log:
        f"{LOGS}/figures/fig3_physical_planes.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig3_physical_planes.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=figure_numbers("fig3_physical_planes"),
    script:
        "../scripts/fig3_physical_planes.py"


rule fig4_ttype:
    """Fig. 4: T-Type per cluster."""
    input:
        labels=labels_path("simclr-relative-all"),
        divisions=DIVISIONS,
        catalogue=CATALOGUE,
        code=code_of("fig4_ttype"),
    output:
        **figure_files("fig4_ttype"),
    log:
        f"{LOGS}/figures/fig4_ttype.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig4_ttype.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=figure_numbers("fig4_ttype"),
    script:
        "../scripts/fig4_ttype.py"


rule fig5_umap_normalisations:
    """Fig. 5: UMAP of the relative vs individual normalisation."""
    input:
        relative=umap_path("simclr-relative-all"),
        individual=umap_path("simclr-individual-all"),
        catalogue=CATALOGUE,
        code=code_of("fig5_umap_normalisations"),
    output:
        **figure_files("fig5_umap_normalisations"),
    log:
        f"{LOGS}/figures/fig5_umap_normalisations.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig5_umap_normalisations.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=figure_numbers("fig5_umap_normalisations"),
    script:
        "../scripts/fig5_umap_normalisations.py"


rule fig6_centroid_examples:
    """Fig. 6: the galaxies nearest each individual-norm centroid."""
    input:
        embedding=tables_of("simclr-individual-all")[0],
        labels=labels_path("simclr-individual-all"),
        divisions=DIVISIONS,
        tensors=f"{RESULTS}/tensors/individual.npz",
        code=code_of("fig6_centroid_examples"),
    output:
        **figure_files("fig6_centroid_examples"),
    log:
        f"{LOGS}/figures/fig6_centroid_examples.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig6_centroid_examples.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=figure_numbers("fig6_centroid_examples"),
    script:
        "../scripts/fig6_centroid_examples.py"


rule fig7_overlap:
    """Fig. 7: overlap of the relative and individual clusters."""
    input:
        overlaps=OVERLAPS,
        divisions=DIVISIONS,
        code=code_of("fig7_overlap"),
    output:
        **figure_files("fig7_overlap"),
    log:
        f"{LOGS}/figures/fig7_overlap.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig7_overlap.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=figure_numbers("fig7_overlap"),
    script:
        "../scripts/fig7_overlap.py"


rule fig8_ttype_appendix:
    """Fig. 8: T-Type per cluster with and without the V band."""
    input:
        relative=labels_path("simclr-relative-all"),
        relative_no_vband=labels_path("simclr-relative-no_vband"),
        individual=labels_path("simclr-individual-all"),
        individual_no_vband=labels_path("simclr-individual-no_vband"),
        divisions=DIVISIONS,
        catalogue=CATALOGUE,
        code=code_of("fig8_ttype_appendix"),
    output:
        **figure_files("fig8_ttype_appendix"),
    log:
        f"{LOGS}/figures/fig8_ttype_appendix.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig8_ttype_appendix.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=figure_numbers("fig8_ttype_appendix"),
    script:
        "../scripts/fig8_ttype_appendix.py"


rule fig9_cluster_properties:
    """Fig. 9: cluster properties with five maps, without V band, and V band + kinematics."""
    input:
        all=labels_path("simclr-relative-all"),
        no_vband=labels_path("simclr-relative-no_vband"),
        vband_kinematics=labels_path("simclr-relative-vband_kinematics"),
        divisions=DIVISIONS,
        catalogue=CATALOGUE,
        code=code_of("fig9_cluster_properties"),
    output:
        **figure_files("fig9_cluster_properties"),
    log:
        f"{LOGS}/figures/fig9_cluster_properties.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig9_cluster_properties.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=figure_numbers("fig9_cluster_properties"),
    script:
        "../scripts/fig9_cluster_properties.py"


rule loss_curves:
    """Training loss curves of every replica."""
    input:
        unpack(history_files),
        code=code_of("loss_curves"),
    output:
        **figure_files("loss_curves"),
    log:
        f"{LOGS}/figures/loss_curves.log",
    benchmark:
        f"{BENCHMARKS}/figures/loss_curves.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=figure_numbers("loss_curves"),
    script:
        "../scripts/loss_curves.py"


rule division_performance:
    """The agreement and bias accuracies behind Table 1."""
    input:
        table1=TABLE1,
        accepted=ACCEPTED_K,
        code=code_of("division_performance"),
    output:
        **figure_files("division_performance"),
    log:
        f"{LOGS}/figures/division_performance.log",
    benchmark:
        f"{BENCHMARKS}/figures/division_performance.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=figure_numbers("division_performance"),
        min_agreement=config["analysis"]["min_agreement"],
        max_nonphys=config["analysis"]["max_nonphysical_accuracy"],
        max_gain=config["analysis"]["max_nonphysical_gain"],
    script:
        "../scripts/division_performance.py"

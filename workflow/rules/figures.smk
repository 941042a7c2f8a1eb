rule fig1_augmentations:
    """Fig. 1: the five input maps of one galaxy and each augmentation's effect."""
    input:
        tensors=f"{RESULTS}/tensors/relative.npz",
        catalogue=f"{RESULTS}/preprocess/catalogue.parquet",
        code=code_of("fig1_augmentations"),
    output:
        pdf=f"{RESULTS}/figures/fig1_augmentations.pdf",
        png=report(
            f"{RESULTS}/figures/fig1_augmentations.png",
            caption="../report/fig1_augmentations.rst",
            category="Figures",
        ),
        numbers=f"{RESULTS}/figures/fig1_augmentations.json",
    log:
        f"{LOGS}/figures/fig1_augmentations.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig1_augmentations.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        numbers=JsonNumbers(f"{RESULTS}/figures/fig1_augmentations.json"),
    script:
        "../scripts/fig1_augmentations.py"


rule fig2_umap_pca_vs_simclr:
    """Fig. 2: UMAP of PCA-1024 (a) vs SimCLR (b), instrumental and physical colours."""
    input:
        pca=f"{RESULTS}/umap/pca1024-relative.parquet",
        simclr=f"{RESULTS}/umap/simclr-relative-all.parquet",
        catalogue=f"{RESULTS}/preprocess/catalogue.parquet",
        code=code_of("fig2_umap_pca_vs_simclr"),
    output:
        pdf=f"{RESULTS}/figures/fig2_umap_pca_vs_simclr.pdf",
        png=report(
            f"{RESULTS}/figures/fig2_umap_pca_vs_simclr.png",
            caption="../report/fig2_umap_pca_vs_simclr.rst",
            category="Figures",
        ),
        numbers=f"{RESULTS}/figures/fig2_umap_pca_vs_simclr.json",
    log:
        f"{LOGS}/figures/fig2_umap_pca_vs_simclr.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig2_umap_pca_vs_simclr.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=JsonNumbers(f"{RESULTS}/figures/fig2_umap_pca_vs_simclr.json"),
    script:
        "../scripts/fig2_umap_pca_vs_simclr.py"


rule fig3_physical_planes:
    """Fig. 3: clusters in the four physical planes."""
    input:
        simclr_relative=f"{RESULTS}/clusters/simclr-relative-all/labels.parquet",
        pca=f"{RESULTS}/clusters/pca1024-relative/labels.parquet",
        simclr_individual=f"{RESULTS}/clusters/simclr-individual-all/labels.parquet",
        divisions=DIVISIONS,
        catalogue=f"{RESULTS}/preprocess/catalogue.parquet",
        code=code_of("fig3_physical_planes"),
    output:
        pdf=f"{RESULTS}/figures/fig3_physical_planes.pdf",
        png=report(
            f"{RESULTS}/figures/fig3_physical_planes.png",
            caption="../report/fig3_physical_planes.rst",
            category="Figures",
        ),
        numbers=f"{RESULTS}/figures/fig3_physical_planes.json",
    log:
        f"{LOGS}/figures/fig3_physical_planes.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig3_physical_planes.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=JsonNumbers(f"{RESULTS}/figures/fig3_physical_planes.json"),
    script:
        "../scripts/fig3_physical_planes.py"


rule fig4_ttype:
    """Fig. 4: T-Type per cluster."""
    input:
        labels=f"{RESULTS}/clusters/simclr-relative-all/labels.parquet",
        divisions=DIVISIONS,
        catalogue=f"{RESULTS}/preprocess/catalogue.parquet",
        code=code_of("fig4_ttype"),
    output:
        pdf=f"{RESULTS}/figures/fig4_ttype.pdf",
        png=report(
            f"{RESULTS}/figures/fig4_ttype.png",
            caption="../report/fig4_ttype.rst",
            category="Figures",
        ),
        numbers=f"{RESULTS}/figures/fig4_ttype.json",
    log:
        f"{LOGS}/figures/fig4_ttype.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig4_ttype.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=JsonNumbers(f"{RESULTS}/figures/fig4_ttype.json"),
    script:
        "../scripts/fig4_ttype.py"


rule fig5_umap_normalisations:
    """Fig. 5: UMAP of the relative vs individual normalisation."""
    input:
        relative=f"{RESULTS}/umap/simclr-relative-all.parquet",
        individual=f"{RESULTS}/umap/simclr-individual-all.parquet",
        catalogue=f"{RESULTS}/preprocess/catalogue.parquet",
        code=code_of("fig5_umap_normalisations"),
    output:
        pdf=f"{RESULTS}/figures/fig5_umap_normalisations.pdf",
        png=report(
            f"{RESULTS}/figures/fig5_umap_normalisations.png",
            caption="../report/fig5_umap_normalisations.rst",
            category="Figures",
        ),
        numbers=f"{RESULTS}/figures/fig5_umap_normalisations.json",
    log:
        f"{LOGS}/figures/fig5_umap_normalisations.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig5_umap_normalisations.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=JsonNumbers(f"{RESULTS}/figures/fig5_umap_normalisations.json"),
    script:
        "../scripts/fig5_umap_normalisations.py"


rule fig6_centroid_examples:
    """Fig. 6: the galaxies nearest each individual-norm centroid."""
    input:
        embedding=tables_of("simclr-individual-all")[0],
        labels=f"{RESULTS}/clusters/simclr-individual-all/labels.parquet",
        divisions=DIVISIONS,
        tensors=f"{RESULTS}/tensors/individual.npz",
        code=code_of("fig6_centroid_examples"),
    output:
        pdf=f"{RESULTS}/figures/fig6_centroid_examples.pdf",
        png=report(
            f"{RESULTS}/figures/fig6_centroid_examples.png",
            caption="../report/fig6_centroid_examples.rst",
            category="Figures",
        ),
        numbers=f"{RESULTS}/figures/fig6_centroid_examples.json",
    log:
        f"{LOGS}/figures/fig6_centroid_examples.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig6_centroid_examples.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=JsonNumbers(f"{RESULTS}/figures/fig6_centroid_examples.json"),
    script:
        "../scripts/fig6_centroid_examples.py"


rule fig7_overlap:
    """Fig. 7: overlap of the relative and individual clusters."""
    input:
        overlaps=f"{RESULTS}/tables/overlaps.csv",
        code=code_of("fig7_overlap"),
    output:
        pdf=f"{RESULTS}/figures/fig7_overlap.pdf",
        png=report(
            f"{RESULTS}/figures/fig7_overlap.png",
            caption="../report/fig7_overlap.rst",
            category="Figures",
        ),
        numbers=f"{RESULTS}/figures/fig7_overlap.json",
    log:
        f"{LOGS}/figures/fig7_overlap.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig7_overlap.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=JsonNumbers(f"{RESULTS}/figures/fig7_overlap.json"),
    script:
        "../scripts/fig7_overlap.py"


rule fig8_ttype_appendix:
    """Fig. 8: T-Type per cluster with and without the V band."""
    input:
        relative=f"{RESULTS}/clusters/simclr-relative-all/labels.parquet",
        relative_no_vband=f"{RESULTS}/clusters/simclr-relative-no_vband/labels.parquet",
        individual=f"{RESULTS}/clusters/simclr-individual-all/labels.parquet",
        individual_no_vband=f"{RESULTS}/clusters/simclr-individual-no_vband/labels.parquet",
        divisions=DIVISIONS,
        catalogue=f"{RESULTS}/preprocess/catalogue.parquet",
        code=code_of("fig8_ttype_appendix"),
    output:
        pdf=f"{RESULTS}/figures/fig8_ttype_appendix.pdf",
        png=report(
            f"{RESULTS}/figures/fig8_ttype_appendix.png",
            caption="../report/fig8_ttype_appendix.rst",
            category="Figures",
        ),
        numbers=f"{RESULTS}/figures/fig8_ttype_appendix.json",
    log:
        f"{LOGS}/figures/fig8_ttype_appendix.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig8_ttype_appendix.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=JsonNumbers(f"{RESULTS}/figures/fig8_ttype_appendix.json"),
    script:
        "../scripts/fig8_ttype_appendix.py"


rule fig9_cluster_properties:
    """Fig. 9: cluster properties with five maps, without V band, and V band + kinematics."""
    input:
        all=f"{RESULTS}/clusters/simclr-relative-all/labels.parquet",
        no_vband=f"{RESULTS}/clusters/simclr-relative-no_vband/labels.parquet",
        vband_kinematics=f"{RESULTS}/clusters/simclr-relative-vband_kinematics/labels.parquet",
        divisions=DIVISIONS,
        catalogue=f"{RESULTS}/preprocess/catalogue.parquet",
        code=code_of("fig9_cluster_properties"),
    output:
        pdf=f"{RESULTS}/figures/fig9_cluster_properties.pdf",
        png=report(
            f"{RESULTS}/figures/fig9_cluster_properties.png",
            caption="../report/fig9_cluster_properties.rst",
            category="Figures",
        ),
        numbers=f"{RESULTS}/figures/fig9_cluster_properties.json",
    log:
        f"{LOGS}/figures/fig9_cluster_properties.log",
    benchmark:
        f"{BENCHMARKS}/figures/fig9_cluster_properties.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=JsonNumbers(f"{RESULTS}/figures/fig9_cluster_properties.json"),
    script:
        "../scripts/fig9_cluster_properties.py"


rule loss_curves:
    """Training loss curves of every replica."""
    input:
        unpack(history_files),
        code=code_of("loss_curves"),
    output:
        pdf=f"{RESULTS}/figures/loss_curves.pdf",
        png=report(
            f"{RESULTS}/figures/loss_curves.png",
            caption="../report/loss_curves.rst",
            category="Figures",
        ),
        numbers=f"{RESULTS}/figures/loss_curves.json",
    log:
        f"{LOGS}/figures/loss_curves.log",
    benchmark:
        f"{BENCHMARKS}/figures/loss_curves.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=JsonNumbers(f"{RESULTS}/figures/loss_curves.json"),
    script:
        "../scripts/loss_curves.py"


rule division_performance:
    """The agreement and bias accuracies behind Table 1."""
    input:
        table1=f"{RESULTS}/tables/table1.csv",
        accepted=f"{RESULTS}/tables/accepted_k.json",
        code=code_of("division_performance"),
    output:
        pdf=f"{RESULTS}/figures/division_performance.pdf",
        png=report(
            f"{RESULTS}/figures/division_performance.png",
            caption="../report/division_performance.rst",
            category="Figures",
        ),
        numbers=f"{RESULTS}/figures/division_performance.json",
    log:
        f"{LOGS}/figures/division_performance.log",
    benchmark:
        f"{BENCHMARKS}/figures/division_performance.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        numbers=JsonNumbers(f"{RESULTS}/figures/division_performance.json"),
        min_agreement=config["analysis"]["min_agreement"],
        max_nonphys=config["analysis"]["max_nonphysical_accuracy"],
    script:
        "../scripts/division_performance.py"

rule train_simclr:
    """Sections 3.1-3.2: one SimCLR replica per seed, for each (normalisation, channel set);
    the appendix's channel sets train the first simclr.channel_set_replicas seeds.
    Checkpointed; a killed job resumes where it stopped when rerun."""
    input:
        tensors=TENSORS,
        catalogue=CATALOGUE,
        code=code_of("train_simclr"),
    output:
        encoder=ENCODER,
        head=f"{RESULTS}/simclr/{{normalisation}}-{{channels}}/seed{{seed}}/projection_head.keras",
        history=f"{RESULTS}/simclr/{{normalisation}}-{{channels}}/seed{{seed}}/history.csv",
        loss_png=f"{RESULTS}/simclr/{{normalisation}}-{{channels}}/seed{{seed}}/loss.png",
        loss_pdf=f"{RESULTS}/simclr/{{normalisation}}-{{channels}}/seed{{seed}}/loss.pdf",
    log:
        f"{LOGS}/train_simclr/{{normalisation}}-{{channels}}-seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/train_simclr/{{normalisation}}-{{channels}}-seed{{seed}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config["simclr"]["threads_per_replica"]
    resources:
        gpu=1,
    params:
        simclr=simclr_settings,
        channels=channel_set,
        checkpoint=checkpoint_path,
    script:
        "../scripts/train_simclr.py"

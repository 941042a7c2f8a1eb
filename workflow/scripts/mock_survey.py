from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

from pathlib import Path

from manga_ssl.mock.survey import MockSurveySpec, generate_mock_survey

spec = MockSurveySpec.from_config(snakemake.params.survey)
root = Path(snakemake.output.drpall).parent
log.info("generating a mock survey of %d galaxies (seed %d) in %s", spec.n_galaxies, spec.seed, root)
generate_mock_survey(spec, root, processes=snakemake.threads)

import pytest

from samplecases import SAMPLE_PDFS


@pytest.fixture(params=SAMPLE_PDFS, ids=[p.stem for p in SAMPLE_PDFS])
def sample_pdf(request):
    return request.param

import pytest

from content.text import pdf_text
from tests.conftest import tiny_pdf


def test_pdf_text_reads_the_words_on_the_page():
    assert pdf_text(tiny_pdf("Wash your hands with soap")) == "Wash your hands with soap"


@pytest.mark.parametrize(
    "data",
    [b"", b"%PDF-1.4 not really a pdf", tiny_pdf("cut short")[:80], b"\x00" * 1000, b"GIF89a"],
)
def test_broken_pdfs_give_no_text_instead_of_an_error(data: bytes):
    assert pdf_text(data) == ""


def test_pdf_text_is_cut_at_the_limit():
    assert pdf_text(tiny_pdf("a" * 500), max_chars=100) == "a" * 100

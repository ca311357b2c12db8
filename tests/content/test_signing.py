import base64
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from content.package import MANIFEST, SIGNATURE, build_package, open_package
from content.signing import (
    PublicKey,
    SignatureError,
    generate_key,
    parse_key_id,
    parse_public_key,
    parse_secret_key,
    parse_signature,
    sign,
    verify,
)

MINISIGN = shutil.which("minisign")
needs_minisign = pytest.mark.skipif(
    MINISIGN is None and not os.environ.get("CI"),
    reason="minisign is not installed (apt-get install minisign)",
)


def test_a_signature_verifies_and_names_its_key():
    key = generate_key()
    signature = parse_signature(sign(b"data", key, "a comment"))
    verify(b"data", signature, key.public)
    assert signature.signer == key.public.id
    assert signature.trusted_comment == "a comment"
    assert len(key.public.id) == 16 and key.public.id == key.public.id.upper()


def test_keys_survive_their_text_form():
    key = generate_key()
    again = parse_secret_key(key.text())
    assert again.public == key.public
    assert parse_public_key(key.public.text()) == key.public
    assert parse_public_key(key.public.fingerprint) == key.public  # the bare line people paste


def test_key_ids_read_as_minisign_shows_them():
    key_id = bytes.fromhex("f7d626ad1d49c3d2")  # minisign shows this key as D2C3491DAD26D6F7
    assert PublicKey(key_id, bytes(32)).id == "D2C3491DAD26D6F7"
    assert parse_key_id(" d2c3491dad26d6f7 ") == "D2C3491DAD26D6F7"
    assert PublicKey(b"\x01" + bytes(7), bytes(32)).id == "0000000000000001"
    with pytest.raises(SignatureError, match="not a key id"):
        parse_key_id("not hex")


def test_a_changed_byte_or_comment_is_refused():
    key = generate_key()
    text = sign(b"data", key, "version 1")
    with pytest.raises(SignatureError, match="does not match its signature"):
        verify(b"dat4", parse_signature(text), key.public)
    lines = text.splitlines()
    changed = "\n".join([*lines[:2], "trusted comment: version 2", lines[3]])
    with pytest.raises(SignatureError, match="trusted comment"):
        verify(b"data", parse_signature(changed), key.public)


def test_a_key_pretending_to_have_a_trusted_key_id_is_refused():
    trusted, forger = generate_key(), generate_key()
    impostor = type(forger)(trusted.key_id, forger.private)
    with pytest.raises(SignatureError, match="forged"):
        verify(b"data", parse_signature(sign(b"data", impostor, "x")), trusted.public)


@pytest.mark.parametrize(
    ("mangle", "problem"),
    [
        (lambda t: t[: len(t) // 2], "truncated or garbled"),
        (lambda t: t.replace(t.splitlines()[1], t.splitlines()[1][:-8]), "wrong length"),
        (lambda t: t.replace(t.splitlines()[1], "!!" + t.splitlines()[1][2:]), "not valid base64"),
        (lambda t: t.replace(t.splitlines()[3], t.splitlines()[3][4:]), "wrong length"),
        (lambda t: t.replace("RU", "Rk", 1), "unknown signature algorithm"),  # "FD…": not Ed/ED
        (lambda t: "", "truncated or garbled"),
        (lambda t: "\xff\xfe garbage", "truncated or garbled"),
    ],
)
def test_a_garbled_signature_says_so(mangle, problem):
    text = sign(b"data", generate_key(), "x")
    with pytest.raises(SignatureError, match=problem):
        parse_signature(mangle(text))


@pytest.mark.parametrize(
    "text", ["", "hello", "untrusted comment: x\nRWQ", base64.b64encode(b"Xx" + bytes(40)).decode()]
)
def test_a_bad_public_key_says_so(text: str):
    with pytest.raises(SignatureError):
        parse_public_key(text)


def test_a_password_protected_secret_key_says_how_to_use_it():
    raw = bytearray(base64.b64decode(generate_key().text().splitlines()[1]))
    raw[2:4] = b"Sc"
    with pytest.raises(SignatureError, match="minisign -C -W"):
        parse_secret_key(f"untrusted comment: x\n{base64.b64encode(bytes(raw)).decode()}\n")


@pytest.mark.parametrize("suffix", ["", ".zip"])
def test_a_signed_package_opens_verified_or_with_an_unknown_signer(
    course_folder: Path, tmp_path: Path, suffix
):
    key = generate_key()
    out = tmp_path / f"pkg{suffix}"
    build_package(course_folder, out, key)
    with open_package(out, [key.public]) as package:
        assert package.signer is not None and package.signer.verified_by == key.public
        assert "course:sample-course\tversion:1" in package.signer.trusted_comment
    with open_package(out, [generate_key().public]) as package:
        assert package.signer is not None
        assert (package.signer.key_id, package.signer.verified_by) == (key.public.id, None)


def test_a_changed_manifest_in_a_signed_zip_is_refused(course_folder: Path, tmp_path: Path):
    key = generate_key()
    build_package(course_folder, tmp_path / "good.zip", key)
    with zipfile.ZipFile(tmp_path / "good.zip") as good, zipfile.ZipFile(tmp_path / "bad.zip", "w") as bad:
        for info in good.infolist():
            data = good.read(info)
            bad.writestr(
                info, data.replace(b"Sample course", b"Sample coursE") if info.filename == MANIFEST else data
            )
    with (
        pytest.raises(SignatureError, match="does not match its signature"),
        open_package(tmp_path / "bad.zip", [key.public]),
    ):
        pass


def test_an_oversized_signature_file_is_refused(course_folder: Path, tmp_path: Path):
    build_package(course_folder, tmp_path / "pkg")
    (tmp_path / "pkg" / SIGNATURE).write_bytes(b"x" * 100_000)
    with pytest.raises(SignatureError, match="too large"), open_package(tmp_path / "pkg"):
        pass


@needs_minisign
def test_stock_minisign_accepts_our_signature(course_folder: Path, tmp_path: Path):
    key = generate_key()
    build_package(course_folder, tmp_path / "pkg", key)
    (tmp_path / "key.pub").write_text(key.public.text())
    checked = subprocess.run(
        [MINISIGN or "minisign", "-V", "-p", tmp_path / "key.pub", "-m", tmp_path / "pkg" / MANIFEST],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "Signature and comment signature verified" in checked.stdout
    (tmp_path / "pkg" / MANIFEST).write_bytes((tmp_path / "pkg" / MANIFEST).read_bytes() + b" ")
    refused = subprocess.run(
        [MINISIGN or "minisign", "-V", "-p", tmp_path / "key.pub", "-m", tmp_path / "pkg" / MANIFEST],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode != 0


@needs_minisign
def test_keys_and_signatures_from_stock_minisign_work_here(tmp_path: Path):
    made = subprocess.run(
        [MINISIGN or "minisign", "-G", "-W", "-p", tmp_path / "m.pub", "-s", tmp_path / "m.key"],
        capture_output=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    (tmp_path / "file").write_bytes(b"some bytes")
    public = parse_public_key((tmp_path / "m.pub").read_text())
    assert parse_secret_key((tmp_path / "m.key").read_text()).public == public
    for legacy in ([], ["-l"]):  # prehashed "ED" and legacy "Ed"
        subprocess.run(
            [MINISIGN or "minisign", "-S", *legacy, "-s", tmp_path / "m.key", "-m", tmp_path / "file"],
            check=True,
        )
        verify(b"some bytes", parse_signature((tmp_path / "file.minisig").read_text()), public)
    # and minisign signs with a secret key made here
    ours = generate_key()
    (tmp_path / "ours.key").write_text(ours.text())
    subprocess.run(
        [MINISIGN or "minisign", "-S", "-s", tmp_path / "ours.key", "-m", tmp_path / "file"], check=True
    )
    verify(b"some bytes", parse_signature((tmp_path / "file.minisig").read_text()), ours.public)

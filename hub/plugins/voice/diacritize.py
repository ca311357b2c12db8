"""Add vowel marks to Arabic texts: a JSON list of texts in on standard input, the list marked out.

synth.py runs this as its own lower-priority process, once per course. Mishkal is given one line at
a time (given a whole text it drops some punctuation and joins words), and the end mark of a line it
dropped is put back, so the voice still pauses there.
"""

from __future__ import annotations

import json
import sys

END_MARKS = ".!?؟:;"


def main() -> None:
    import mishkal.tashkeel

    vocalizer = mishkal.tashkeel.TashkeelClass()
    texts = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    marked_texts = []
    for text in texts:
        marked = []
        for line in str(text).splitlines():
            said = vocalizer.tashkeel(line).strip() if line.strip() else ""
            end = line.rstrip()[-1:]
            marked.append(said + end if end and end in END_MARKS and not said.endswith(end) else said)
        marked_texts.append("\n".join(marked))
    sys.stdout.buffer.write(json.dumps(marked_texts, ensure_ascii=False).encode("utf-8"))


if __name__ == "__main__":
    main()

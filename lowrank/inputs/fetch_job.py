"""A fetch job: one image of ``images.urls`` downloaded into the study.

    python -m lowrank.inputs.fetch_job URL IMAGE RECORD

The program of the workflow's ``fetch`` rule. IMAGE is the download (always
``results/downloads/<stem>.bytes``, whatever the URL says), RECORD its record
(:func:`lowrank.inputs.urls.write_fetch_record`). A download that fails or is
refused (:mod:`lowrank.inputs.download`) leaves IMAGE empty and RECORD saying
why, and the job still succeeds: the ``prepare`` job then leaves the image out
with that reason, and the rest of the study runs.
"""

import argparse
import sys

from lowrank.inputs.download import FetchError, download, environment_limits
from lowrank.inputs.urls import url_stem, write_fetch_record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the image's address, checked at planning")
    parser.add_argument("image", help="where its bytes go")
    parser.add_argument("record", help="the download's record to write (JSON)")
    args = parser.parse_args(argv)
    url_stem(args.url)
    try:
        size, digest = download(args.url, args.image, environment_limits())
    except FetchError as error:
        print(f"fetch failed: {error}", file=sys.stderr)
        open(args.image, "wb").close()
        write_fetch_record(args.record, args.url, failed=error)
        return
    print(f"fetched {args.url}: {size} bytes, sha256 {digest}", file=sys.stderr)
    write_fetch_record(args.record, args.url, size=size)


if __name__ == "__main__":
    main()

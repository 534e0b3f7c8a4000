"""Dataset sheet and exchange formats, without Django: files in, plain records out, and back.

Readers turn a file into `IntervalRecord`s plus an `ImportReport`; writers turn records into files.
The Django layer (importers/exporters jobs) maps records to and from model rows.
"""

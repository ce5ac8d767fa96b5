"""Each completed draft also goes back as an ORU^R01 to the outbound queue, read back here with hl7apy."""

from __future__ import annotations

import json

import pytest

from radimpress.config import CompletionSettings
from radimpress.errors import TransientError
from radimpress.pipeline.completion import CompletionBatch
from radimpress.pipeline.records import ResultRecord
from radimpress.reading.hl7.message import parse_message
from radimpress.reading.hl7lib import read_draft_oru
from tests.fakes import InMemoryQueue
from tests.unit.test_completion import json_writer, notification, store_with, submission

OUTPUT = json.dumps({"generated_texts": ["No acute abnormality.\nStable cardiomegaly."]}).encode()


def completions(queue: InMemoryQueue, **env: str) -> CompletionBatch:
    settings = CompletionSettings.from_env(
        {"BUCKET_NAME": "radimpress-data-test", "MODEL_CONTRACT": "jumpstart-v1", "MODEL_ID": "flan-t5-test"}
        | env
    )
    record = submission().model_copy(update={"sending_application": "RIS", "placer_order": "ORD77"})
    return CompletionBatch(
        store_with(record, OUTPUT), settings, batch_id="b1", write=json_writer, outbox=queue
    )


def test_a_completed_draft_goes_back_as_a_preliminary_oru_with_its_order_and_flags() -> None:
    # Given a completion batch with an outbound queue
    queue = InMemoryQueue()
    # When a draft completes
    with completions(queue) as batch:
        result = batch.complete(notification())
    assert isinstance(result, ResultRecord)
    # Then one ORU^R01 is on the outbound queue, and hl7apy reads back what it says
    (sent,) = queue.sent
    oru = read_draft_oru(sent.body)
    assert oru["message_type"] == "ORU^R01^ORU_R01"
    assert oru["control_id"] == f"D{result.inference_id[:19]}"
    # the original order (accession as filler, placer order) and preliminary status everywhere
    assert (oru["accession"], oru["placer_order"]) == ("ACC0000001", "ORD77")
    assert oru["result_status"] == "P" and oru["observation_status"] == {"P"}
    # the draft under LOINC 19005-8, line by line, and the engine and model in OBX-17
    assert oru["code"] == "19005-8^Impression^LN"
    assert oru["draft"] == result.draft
    assert oru["method"] == "sagemaker:radimpress-test-endpoint^flan-t5-test"
    # the flags in NTEs (one per flag code), then a note naming the engine and the original message
    flags = [code for code in result.flags.split(",") if code]
    assert flags, "cardiomegaly and 'stable' are not in the findings: flags to carry"
    notes = oru["notes"]
    assert isinstance(notes, list)
    assert notes[: len(flags)] == [f"safety flag: {code}" for code in flags]
    assert "SYN000000001" in notes[-1] and "flan-t5-test" in notes[-1]
    # and the reporting system is addressed as the sender of the report
    assert sent.body.split("\r")[0].split("|")[4:6] == ["RIS", "IUSAMPLE"]


def test_the_site_code_replaces_loinc_and_our_own_reader_reads_the_draft_as_an_impression() -> None:
    queue = InMemoryQueue()
    with completions(queue, DRAFT_OBSERVATION_CODE="IMP^Impression draft^L") as batch:
        batch.complete(notification())
    oru = read_draft_oru(queue.sent[0].body)
    assert oru["code"] == "IMP^Impression draft^L"


def test_a_failed_send_fails_the_record_so_it_is_retried_and_nothing_is_kept() -> None:
    queue = InMemoryQueue(fail=TransientError("throttled"))
    with completions(queue) as batch, pytest.raises(TransientError):
        batch.complete(notification())
    assert batch.results == []


def test_the_oru_is_readable_hl7_for_the_pipelines_own_reader() -> None:
    queue = InMemoryQueue()
    with completions(queue) as batch:
        result = batch.complete(notification())
    assert isinstance(result, ResultRecord)
    # a receiving system that reads 19005-8 as the impression gets the draft there
    report = parse_message(
        queue.sent[0].body + "OBX|9|TX|18782-3^Findings^LN||see original||||||P\r", source="o"
    )
    assert report.sections.impression is not None
    # (the reader takes NTE text as report text too, so the notes follow the draft)
    assert report.sections.impression.replace("\n", " ").startswith(result.draft.replace("\n", " "))
    assert report.accession == "ACC0000001" and report.status == "P"


def test_the_placer_order_is_read_from_obr_2_or_orc_2() -> None:
    # Given a result naming its order in OBR-2, and one naming it only in ORC-2
    head = "MSH|^~\\&|RIS|GENHOSP|||20240101120000||ORU^R01|M1|P|2.5\r"
    with_obr = head + "OBR|1|ORD77|ACC77|71046\rOBX|1|TX|18782-3^Findings^LN||Lungs clear.||||||F"
    with_orc = head + "ORC|RE|ORD88\rOBR|1||ACC88|71046\rOBX|1|TX|18782-3^Findings^LN||Lungs clear.||||||F"
    # Then the report carries it for the draft sent back
    assert parse_message(with_obr, source="a").extra["placer_order"] == "ORD77"
    assert parse_message(with_orc, source="b").extra["placer_order"] == "ORD88"

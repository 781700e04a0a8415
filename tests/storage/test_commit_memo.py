"""``CommitCountedMemo``: an answer is only ever given back at the version it was read at."""

from stoplist.storage.commit_memo import CommitCountedMemo


def test_an_answer_is_kept_while_the_version_stands_still():
    memo: CommitCountedMemo[str] = CommitCountedMemo()
    assert memo.get(1, "key") is None
    memo.put(1, "key", "answer")
    assert memo.get(1, "key") == "answer"
    assert memo.get(1, "other") is None


def test_a_new_version_forgets_every_answer():
    memo: CommitCountedMemo[str] = CommitCountedMemo()
    memo.put(1, "a", "first")
    memo.put(1, "b", "second")
    assert memo.get(2, "a") is None
    assert len(memo) == 0
    assert memo.get(1, "b") is None  # versions are not ordered: an old one is just another


def test_an_answer_read_at_another_version_replaces_the_others():
    memo: CommitCountedMemo[str] = CommitCountedMemo()
    memo.put(1, "a", "old")
    memo.put(2, "b", "new")
    assert memo.get(2, "a") is None
    assert memo.get(2, "b") == "new"


def test_memory_is_bounded():
    memo: CommitCountedMemo[int] = CommitCountedMemo(max_entries=3)
    for value in range(10):
        memo.put(7, value, value)
        assert len(memo) <= 3
    assert memo.get(7, 9) == 9

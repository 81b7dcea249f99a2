"""Tree building, CAS ref updates and pushes of midway.gitrepo.writing, checked with the git CLI."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pygit2
import pytest

from midway.errors import MidwayError
from midway.gitrepo.credentials import scrub
from midway.gitrepo.trees import FileChange, PathConflict
from midway.gitrepo.writing import GitStore, Stamp

STAMP = Stamp("midway", "midway@localhost", 1_700_000_000, 120)
REF = "refs/heads/main"


def git(repo: Path, *args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    ).stdout


def sample_files(n_apps: int = 5, tag: str = "1") -> dict[str, bytes]:
    files: dict[str, bytes] = {"README.md": b"# state\n"}
    for env in ("dev", "prod"):
        for i in range(n_apps):
            for kind in ("deployment", "service"):
                path = f"{env}/{env}-1/team-app{i}/app{i}/{kind}-app{i}.yaml"
                files[path] = f"kind: {kind}\nname: app{i}\ntag: {tag}\n".encode()
    return files


def commit_files(store: GitStore, files: dict[str, bytes], parent: str | None) -> str:
    base = store.commit_info(parent).tree if parent else None
    plan = store.plan_tree(files, base)
    store.write_plan(plan)
    return store.create_commit(plan.tree, [parent] if parent else [], "msg\n", STAMP, STAMP)


@pytest.fixture
def store(tmp_path: Path) -> GitStore:
    return GitStore.open(tmp_path / "state.git", create=True)


def test_tree_matches_what_git_itself_writes(store: GitStore, tmp_path: Path) -> None:
    files = sample_files()
    files["a-b/x.yaml"] = b"1\n"  # git sorts "a-b/" after "a-b.yaml" and "a.b": check the order
    files["a-b.yaml"] = b"2\n"
    files["a.b"] = b"3\n"
    files["unicode/ü.yaml"] = "ü: 1\n".encode()
    plan = store.plan_tree(files, None)
    written = store.write_plan(plan)
    assert written == len({raw for _, raw, _ in plan.pending})  # same content written once

    work = tmp_path / "work"
    work.mkdir()
    for rel, data in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_bytes(data)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run(["git", "-C", str(work), "add", "-A"], check=True)
    expected = subprocess.run(
        ["git", "-C", str(work), "write-tree"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert plan.tree == expected
    assert sorted(c.path for c in plan.changes) == sorted(files)
    assert all(c.action == "added" for c in plan.changes)
    commit = store.create_commit(plan.tree, [], "msg\n", STAMP, STAMP)
    assert store.compare_and_swap(REF, commit, None, "test")
    assert git(store.path, "show", "main:unicode/ü.yaml") == "ü: 1\n"
    assert git(store.path, "log", "-1", "--format=%ai", "main").strip().endswith("+0200")
    subprocess.run(["git", "--git-dir", str(store.path), "fsck", "--strict", "--full"], check=True)


def test_unchanged_subtrees_are_reused_and_only_new_objects_written(store: GitStore) -> None:
    files = sample_files(20)
    first = commit_files(store, files, None)
    base = store.commit_info(first).tree
    changed = dict(files)
    path = "prod/prod-1/team-app7/app7/service-app7.yaml"
    changed[path] = b"kind: service\nname: app7\nport: 81\n"
    plan = store.plan_tree(changed, base)
    assert plan.changes == [FileChange(path, plan.changes[0].old, plan.changes[0].new)]
    assert plan.changes[0].action == "changed"
    # one blob plus the trees on its path: app7, team-app7, prod-1, prod, root
    assert len(plan.pending) == 6
    assert store.write_plan(plan) == 6
    assert store.plan_tree(changed, plan.tree).changed is False
    # content seen before (the original file) is not written again
    back = store.plan_tree(files, plan.tree)
    assert back.tree == base
    assert store.write_plan(back) == 0


def test_changes_cover_additions_removals_and_file_directory_swaps(store: GitStore) -> None:
    files = {"a/b.yaml": b"1", "a/c.yaml": b"2", "d/e/f.yaml": b"3", "g": b"file"}
    first = commit_files(store, files, None)
    new = {"a/b.yaml": b"1", "a/c.yaml": b"22", "g/now-a-dir.yaml": b"4", "d": b"now a file"}
    plan = store.plan_tree(new, store.commit_info(first).tree)
    assert [(c.path, c.action) for c in plan.changes] == [
        ("a/c.yaml", "changed"),
        ("d", "added"),
        ("d/e/f.yaml", "removed"),
        ("g", "removed"),
        ("g/now-a-dir.yaml", "added"),
    ]
    store.write_plan(plan)
    second = store.create_commit(plan.tree, [first], "m\n", STAMP, STAMP)
    assert store.diff_trees(store.commit_info(first).tree, plan.tree) == plan.changes
    assert store.list_blobs(plan.tree) == {c.path: c.new for c in plan.changes if c.new} | {
        "a/b.yaml": str(pygit2.hash(b"1"))
    }
    assert store.list_blobs(plan.tree, "g") == {"g/now-a-dir.yaml": str(pygit2.hash(b"4"))}
    assert store.list_blobs(plan.tree, "missing") == {}
    assert store.resolve("main") is None
    assert store.compare_and_swap(REF, second, None, "t")
    assert store.resolve("main") == second


@pytest.mark.parametrize(
    "files",
    [
        {"a": b"1", "a/b": b"2"},
        {"/abs": b"1"},
        {"a/../b": b"1"},
        {"a//b": b"1"},
        {".git/config": b"1"},
    ],
)
def test_unclean_paths_are_refused(store: GitStore, files: dict[str, bytes]) -> None:
    with pytest.raises(PathConflict):
        store.plan_tree(files, None)


def test_compare_and_swap(store: GitStore) -> None:
    one = commit_files(store, sample_files(tag="1"), None)
    two = commit_files(store, sample_files(tag="2"), one)
    three = commit_files(store, sample_files(tag="3"), one)
    assert store.compare_and_swap(REF, one, None, "create")
    assert not store.compare_and_swap(REF, two, None, "must not exist")  # it exists now
    assert store.compare_and_swap(REF, two, one, "advance")
    assert not store.compare_and_swap(REF, three, one, "stale expectation")
    assert store.ref_target(REF) == two
    # the git CLI moves it behind our back: our CAS sees it
    git(store.path, "update-ref", REF, three)
    assert not store.compare_and_swap(REF, two, two, "stale")
    assert store.ref_target(REF) == three


def test_compare_and_swap_waits_for_a_held_lock(store: GitStore) -> None:
    one = commit_files(store, sample_files(tag="1"), None)
    two = commit_files(store, sample_files(tag="2"), one)
    assert store.compare_and_swap(REF, one, None, "create")
    lock = store.path / "refs" / "heads" / "main.lock"
    lock.write_text("")
    release = threading.Timer(0.2, lock.unlink)
    release.start()
    started = time.monotonic()
    assert store.compare_and_swap(REF, two, one, "after the lock", lock_timeout=5)
    assert time.monotonic() - started >= 0.15
    assert store.ref_target(REF) == two
    # a lock nobody releases (a killed writer's leftover) is reported, not broken
    lock.write_text("")
    with pytest.raises(MidwayError, match="locked") as caught:
        store.compare_and_swap(REF, one, two, "stuck", lock_timeout=0.2)
    assert "main.lock" in (caught.value.hint or "")
    assert store.ref_target(REF) == two
    lock.unlink()


def test_push_and_fetch_with_a_local_remote(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    pygit2.init_repository(str(remote), bare=True)
    a = GitStore.open(tmp_path / "a.git", create=True)
    b = GitStore.open(tmp_path / "b.git", create=True)
    url = remote.as_uri()
    assert a.remote_branch(url, "main") is None
    assert a.fetch_branch(url, "main", "refs/remotes/origin/main") is None
    first = commit_files(a, sample_files(tag="1"), None)
    assert a.push_branch(url, first, "main") is None
    assert git(remote, "rev-parse", "main").strip() == first
    assert b.fetch_branch(url, "main", "refs/remotes/origin/main") == first
    assert b.ref_target("refs/remotes/origin/main") == first
    # b advances the remote; a's next commit (still on `first`) is not a fast-forward
    second = commit_files(b, sample_files(tag="2"), first)
    assert b.push_branch(url, second, "main", first) is None
    stale = commit_files(a, sample_files(tag="3"), first)
    rejected = a.push_branch(url, stale, "main", first)
    assert rejected is not None
    assert git(remote, "rev-parse", "main").strip() == second
    assert not [r for r in a.repo.references if r.startswith("refs/midway/")]  # cleaned up
    assert git(remote, "for-each-ref", "refs/midway").strip() == ""


def test_scrub_removes_credentials() -> None:
    assert scrub("cannot reach https://user:s3cret@example.com/x.git: 401") == (
        "cannot reach https://example.com/x.git: 401"
    )
    assert scrub("ssh://git@host/repo") == "ssh://host/repo"


def test_open_refuses_a_directory_that_is_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "file").write_text("x")
    with pytest.raises(MidwayError, match="not a git repository"):
        GitStore.open(tmp_path / "junk", create=True)
    with pytest.raises(MidwayError, match="does not exist"):
        GitStore.open(tmp_path / "absent")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert GitStore.open(empty, create=True).is_bare


def test_many_objects_go_into_one_valid_pack(store: GitStore) -> None:
    files = {
        f"env/c/ns{i}/app{i}/configmap-{i}.yaml": (f"name: {i}\n" + "x" * (i * 7)).encode()
        for i in range(400)
    }
    files["big.yaml"] = bytes(range(256)) * 300  # a size that needs several header bytes
    commit = commit_files(store, files, None)
    assert store.compare_and_swap(REF, commit, None, "t")
    packs = list((store.path / "objects" / "pack").glob("pack-*.idx"))
    assert len(packs) == 1
    verify = git(store.path, "verify-pack", "-v", str(packs[0]))
    assert "non delta: " in verify
    loose = [p for p in (store.path / "objects").glob("??/*")]
    assert len(loose) == 1  # only the commit itself
    subprocess.run(["git", "--git-dir", str(store.path), "fsck", "--strict", "--full"], check=True)
    assert git(store.path, "show", "main:env/c/ns3/app3/configmap-3.yaml") == "name: 3\n" + "x" * 21
    assert git(store.path, "cat-file", "-s", "main:big.yaml").strip() == str(256 * 300)


@pytest.mark.parametrize("path", ["/a/b", "a/./b", "a/b/", "", "x/.git/y", "a\0b"])
def test_more_unclean_paths(store: GitStore, path: str) -> None:
    with pytest.raises(PathConflict):
        store.plan_tree({path: b"1"}, None)

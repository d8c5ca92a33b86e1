"""The CLI builds only the named command's parser; what it parses must be what
the whole parser parses, and every other command line goes to the whole one."""

from __future__ import annotations

import argparse

import pytest

import main

LINES = [
    ["search", "Blair", "--json", "--limit", "5"],
    ["--library", "/tmp/x", "show", "abc123"],
    ["--library", "search", "list", "--limit", "3"],  # a library folder named like a command
    ["list", "--sort", "title"],
    ["stats", "--json"],
    ["entities", "--limit", "50"],
    ["entities", "merge", "A", "B"],
    ["entities", "abc123", "--json"],
    ["stories", "regroup"],
    ["feeds", "list"],
    ["saved", "add", "n", "q"],
    ["dossier", "Tony Blair", "--json"],
    ["related", "abc123"],
    ["quotes", "abc123"],
    ["--json"],
    [],
]


def _whole(argv):
    return main.build_parser().parse_args(argv)


@pytest.mark.parametrize("argv", LINES, ids=" ".join)
def test_one_command_parser_parses_as_the_whole(argv):
    assert vars(main._parse(argv)) == vars(_whole(argv))


@pytest.mark.parametrize("argv", [["search"], ["show", "a", "b"], ["nosuch"], ["list", "--sort", "x"],
                                  ["entities", "merge", "A"], ["--lib", "x", "stats", "--bogus"]])
def test_usage_errors_are_the_whole_parsers(argv):
    with pytest.raises(main._UsageError) as whole:
        _whole(argv)
    with pytest.raises(main._UsageError) as ours:
        main._parse(argv)
    assert str(ours.value) == str(whole.value) and ours.value.kind == whole.value.kind


def test_only_the_named_command_is_built():
    p = main.build_parser(only="show")
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == ["show"]

#!/usr/bin/env python3
"""A tiny planner for peh, standard library only: speaks the planning contract on stdin/stdout.

    peh plan "audit the IAM roles" --planner "cmd:python3 examples/planner.py"

One JSON request per line, one JSON response per line, in the contract's plain form
({"id","method","params"} -> {"id","result"} or {"id","error"}) or JSON-RPC 2.0.
"""
import json
import re
import sys


def slug(text):
    words = [w for w in re.sub(r"[^a-z0-9 ]", " ", text.lower()).split() if w not in {"a", "an", "the", "to", "of"}]
    return "-".join(words[:3]) or "work"


def decompose(params):
    objective = params.get("objective", "").strip()
    if not objective:
        raise ValueError("objective is required")
    name = slug(objective)
    steps = [
        ("survey", f"List what {objective} touches in notes/{name}-survey.md", f"test -s notes/{name}-survey.md"),
        ("change", f"Make the change: {objective}", f"test -s notes/{name}-change.md"),
        ("review", f"Review the change and record the verdict in notes/{name}-review.md", f"test -s notes/{name}-review.md"),
    ]
    # Packets of the public contract: no ids or dependencies, so peh runs them in this order.
    return [
        {"objective": text, "scope": "workspace", "scope_path": None, "acceptance_tests": [check], "run": f"mkdir -p notes && echo done > {check.split()[-1]}"}
        for _, text, check in steps
    ]


def refine(params):
    packets = params.get("packets") or []
    feedback = params.get("feedback", "")
    match = re.match(r"^\s*add\s+(.+)$", feedback, re.I)
    if not match:
        raise ValueError('this planner only understands "add <objective>"')
    packets = [p for p in packets if isinstance(p, dict)]
    packets.append({"objective": match.group(1), "scope": "workspace", "acceptance_tests": ["true"]})
    return packets


METHODS = {"decompose": decompose, "refine": refine}


def answer(request):
    rpc2 = request.get("jsonrpc") == "2.0"
    ident = request.get("id")
    method = METHODS.get(request.get("method"))
    if method is None:
        error = {"code": -32601, "message": "unknown method"} if rpc2 else "unknown method"
        return {"jsonrpc": "2.0", "id": ident, "error": error} if rpc2 else {"id": ident, "error": error}
    try:
        result = method(request.get("params") or {})
    except ValueError as problem:
        error = {"code": -32602, "message": str(problem)} if rpc2 else str(problem)
        return {"jsonrpc": "2.0", "id": ident, "error": error} if rpc2 else {"id": ident, "error": error}
    return {"jsonrpc": "2.0", "id": ident, "result": result} if rpc2 else {"id": ident, "result": result}


for line in sys.stdin:
    if not line.strip():
        continue
    try:
        request = json.loads(line)
    except json.JSONDecodeError:
        print(json.dumps({"id": None, "error": "parse error"}), flush=True)
        continue
    print(json.dumps(answer(request)), flush=True)

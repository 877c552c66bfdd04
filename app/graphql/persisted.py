"""Automatic persisted queries (Apollo's `extensions.persistedQuery.sha256Hash` protocol) and an optional
trusted-documents mode that refuses any document not in an allow-list file.

APQ: a client sends only the hash; when this gateway process does not know it, the answer is the
error `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND), and the client sends the hash with the
query once, which registers it. Queries may then be sent by hash over GET (cacheable). The cache is
per gateway process (bounded LRU); another process answers NotFound once and learns the query.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

from strawberry.http import GraphQLRequestData

NOT_FOUND = "PersistedQueryNotFound"
NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"
HASH_MISMATCH_CODE = "PERSISTED_QUERY_HASH_MISMATCH"
NOT_ALLOWED_CODE = "DOCUMENT_NOT_ALLOWED"
MARK = "__processgraph_refusal"
_PLACEHOLDER = "query PersistedQueryPlaceholder { __typename }"


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class PersistedQueries:
    def __init__(self, *, max_entries: int = 2000, trusted_file: str | None = None) -> None:
        self.max_entries = max_entries
        self._cache: OrderedDict[str, str] = OrderedDict()
        self.trusted: dict[str, str] | None = None
        if trusted_file:
            raw = json.loads(Path(trusted_file).read_text())
            documents = raw.values() if isinstance(raw, dict) else raw
            self.trusted = {sha256(doc): doc for doc in documents}

    def _refuse(self, data: GraphQLRequestData, code: str, message: str) -> GraphQLRequestData:
        data.query = _PLACEHOLDER
        data.operation_name = None
        data.extensions = {**(data.extensions or {}), MARK: {"code": code, "message": message}}
        return data

    def resolve(self, data: GraphQLRequestData) -> GraphQLRequestData:
        """Fill in the query of a hash-only request, register a new one, or mark the request refused."""
        persisted = (data.extensions or {}).get("persistedQuery")
        wanted = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if wanted is not None and not isinstance(wanted, str):
            return self._refuse(data, HASH_MISMATCH_CODE, "persistedQuery.sha256Hash must be a string.")
        if self.trusted is not None:
            if data.query is not None:
                if sha256(data.query) not in self.trusted:
                    return self._refuse(data, NOT_ALLOWED_CODE, "This gateway only runs trusted documents; this "
                                        "document is not in its allow-list.")
                return data
            if wanted is None or wanted not in self.trusted:
                return self._refuse(data, NOT_ALLOWED_CODE, "Unknown trusted document hash.")
            data.query = self.trusted[wanted]
            return data
        if wanted is None:
            return data
        if data.query is not None:
            if sha256(data.query) != wanted:
                return self._refuse(data, HASH_MISMATCH_CODE, "provided sha does not match query")
            self._cache[wanted] = data.query
            self._cache.move_to_end(wanted)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
            return data
        query = self._cache.get(wanted)
        if query is None:
            return self._refuse(data, NOT_FOUND_CODE, NOT_FOUND)
        self._cache.move_to_end(wanted)
        data.query = query
        return data


def refusal(data: Any) -> dict[str, str] | None:
    extensions = getattr(data, "extensions", None) or {}
    found = extensions.get(MARK)
    return found if isinstance(found, dict) else None


__all__ = ["NOT_FOUND", "PersistedQueries", "refusal", "sha256"]

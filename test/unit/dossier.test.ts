import test from "ava";
import { canonicalDossierJson, dossierSchema, DEFAULT_IDENTITY_RULES } from "@moneypenny/shared";

const schema = dossierSchema(DEFAULT_IDENTITY_RULES);
const valid = { username: "alice", uid: 2001, groups: [{ name: "science", id: 3000 }] };

function problem(input: unknown): string | undefined {
  const result = schema.safeParse(input);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  const key = issue?.code === "unrecognized_keys" ? issue.keys[0] : undefined;
  return [...(issue?.path ?? []), key].filter((p) => p !== undefined).join(".");
}

test("a valid dossier passes, and gid defaults to uid", (t) => {
  const parsed = schema.parse(valid);
  t.deepEqual(parsed, { username: "alice", uid: 2001, gid: 2001, groups: [{ name: "science", id: 3000 }] });
  t.is(schema.parse({ ...valid, gid: 4000 }).gid, 4000);
});

for (const username of [".", "..", "a/b", "a\0b", "Alice", "a".repeat(33), "-x", "%2e%2e", "a b", "", "а", "a:b", "9abc"]) {
  test(`username ${JSON.stringify(username)} is refused, naming the field`, (t) => {
    t.is(problem({ ...valid, username }), "username");
  });
}

for (const uid of [0, -1, 999, 1.5, "2001", 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER * 2, null]) {
  test(`uid ${JSON.stringify(uid)} is refused`, (t) => {
    t.is(problem({ ...valid, uid }), "uid");
  });
}

test("group rules: names like usernames, ids in range, no duplicates, a bounded count", (t) => {
  t.is(problem({ ...valid, groups: [{ name: "../etc", id: 3000 }] }), "groups.0.name");
  t.is(problem({ ...valid, groups: [{ name: "g", id: 0 }] }), "groups.0.id");
  t.is(problem({ ...valid, groups: [{ name: "g", id: 3000 }, { name: "g", id: 3001 }] }), "groups.1.name");
  t.is(problem({ ...valid, groups: [{ name: "g", id: 3000 }, { name: "h", id: 3000 }] }), "groups.1.id");
  t.is(problem({ ...valid, groups: Array.from({ length: 1001 }, (_, i) => ({ name: `g${i}`, id: 3000 + i })) }), "groups");
  t.is(problem({ ...valid, groups: [{ name: "g" }] }), "groups.0.id");
});

test("unknown fields are refused, at any level", (t) => {
  t.is(problem({ ...valid, shell: "/bin/sh" }), "shell");
  t.is(problem({ ...valid, groups: [{ name: "g", id: 3000, extra: 1 }] }), "groups.0.extra");
  t.is(problem(JSON.parse('{"username":"alice","uid":2001,"groups":[],"__proto__":{"x":1}}')), "__proto__");
});

test("equal dossiers have equal canonical texts whatever the group order", (t) => {
  const a = schema.parse({ ...valid, groups: [{ name: "b", id: 3001 }, { name: "a", id: 3000 }] });
  const b = schema.parse({ ...valid, groups: [{ name: "a", id: 3000 }, { name: "b", id: 3001 }] });
  t.is(canonicalDossierJson(a), canonicalDossierJson(b));
  t.not(canonicalDossierJson(a), canonicalDossierJson({ ...a, gid: 9999 }));
});

test("the pattern and id range are configurable, but unsafe names stay refused", (t) => {
  const loose = dossierSchema({ ...DEFAULT_IDENTITY_RULES, usernamePattern: /.*/, minId: 1 });
  t.true(loose.safeParse({ ...valid, username: "Alice.Smith", uid: 1 }).success);
  for (const username of ["..", ".hidden", "a/b", "a:b"]) t.false(loose.safeParse({ ...valid, username }).success);
});

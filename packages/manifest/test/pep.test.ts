import { describe, expect, it } from "vitest";
import { isPep440SpecifierSet, isPep440Version, isPep508Requirement } from "@bridge/manifest";

describe("PEP 440", () => {
  it.each(["3", "3.11", "3.11.7", "2.0.0rc1", "1.0a1", "1.0.post2", "1.0.dev3", "1!2.0", "1.0+local.7", "v1.0", "1.0-1"])(
    "accepts the version %j",
    (version) => expect(isPep440Version(version)).toBe(true),
  );
  it.each(["", "3.x", "1..0", "a1", "1.0+", "3.11 "])("rejects the version %j", (version) => {
    expect(isPep440Version(version)).toBe(false);
  });

  it.each([">=3.10", ">=3.10,<3.13", "==3.11.*", "~=3.10", "!=3.12.1", "===foobar", "> 3.9 , < 4", "==1.0+local", "<3.13.0rc1"])(
    "accepts the specifier set %j",
    (spec) => expect(isPep440SpecifierSet(spec)).toBe(true),
  );
  it.each(["", "3.11", ">=", ">=3.10,", "=>3.10", "~=3", ">=3.*", "<1.0+local", ">=3.10 <3.13", "==3.*.1"])(
    "rejects the specifier set %j",
    (spec) => expect(isPep440SpecifierSet(spec)).toBe(false),
  );
});

describe("PEP 508", () => {
  it.each([
    "dspy",
    "dspy>=3",
    "dspy-ai==2.5.*",
    "numpy>=1.26,<3",
    "requests[security,socks]>=2.8.1",
    "name (>=1.0)",
    "torch; sys_platform == 'linux'",
    'pywin32>=300; platform_system == "Windows" and python_version < "3.13"',
    "foo; (os_name == 'nt' or os_name == 'posix') and extra == 'test'",
    "bar; 'linux' in sys_platform",
    "baz; python_version not in '3.8, 3.9'",
    "pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
    "pkg[extra] @ file:///tmp/pkg.whl ; python_version >= '3.10'",
    "zope.interface>=5",
  ])("accepts %j", (requirement) => expect(isPep508Requirement(requirement)).toBe(true));

  it.each([
    "",
    ">=3",
    "dspy>=",
    "dspy>=3,",
    "dspy 3",
    "dspy==three",
    "requests[security",
    "requests[sec urity]",
    "dspy; ",
    "dspy; python_version",
    "dspy; python_version >= '3.11' and",
    "dspy; pythonversion >= '3.11'",
    "dspy; python_version >= '3.11",
    "pip @ not-a-url",
    "pip @ https://x.org/p.zip; python_version >= '3'",
    "-e .",
  ])("rejects %j", (requirement) => expect(isPep508Requirement(requirement)).toBe(false));
});

"""Word lists the classifier's layout features read: imperative verbs, time and change markers.

They are ours, written from the domain notes and the coding conventions: a
recommendation starts with an instruction ("Invite ...", "Build in ..."); a
lead-in sets the time a list speaks of ("in the first months" or "a year on");
the first word of a list item often tells action ("introducing ...") from
outcome ("improved ...", "fewer ...").
"""

from __future__ import annotations

IMPERATIVE_VERBS = frozenset("""
accept act adopt agree align allocate allow appoint arrange ask assess assign audit avoid balance
be become begin brief bring build challenge champion change check choose clarify co-produce collect
commission commit communicate compare complete confirm consider consult continue coordinate create
decide define deliver demonstrate design determine develop devise discuss disseminate draw embed
embrace emphasise enable encourage engage enhance ensure establish evaluate evidence examine expand
explain explore extend facilitate feed find focus follow foster fund gather give help highlight
identify implement improve include increase inform integrate introduce invest invite involve keep
learn lead limit link listen look maintain make manage map measure meet monitor move nominate note
offer organise plan prepare prioritise produce promote provide publish put raise reach recognise
record recruit reduce refine reflect reinforce reconsider reinvigorate report require resource
respond restate retain revisit review revise run schedule secure seek select send set share simplify
speak specify start steer streamline strengthen support take target tell test track train translate
undertake update use value visit widen work write
""".split())

RECOMMENDING = ("should", "must", "we recommend", "it is recommended", "recommend that", "would benefit from",
                "needs to", "need to", "ought to")

EARLY_TIME = (
    "3-6 months", "three to six months", "three-six months", "first few months", "first months", "early months",
    "in the early", "initial", "initially", "early impact", "early impacts", "first follow-up", "six months",
    "first 3-6", "3 to 6 months", "shortly after", "soon after", "immediately", "in the short term", "short-term",
    "at first", "early stage", "early stages", "first round",
)
LATER_TIME = (
    "one year", "a year on", "a year after", "12 months", "twelve months", "12-month", "one-year", "longer term",
    "longer-term", "long term", "long-term", "by the end", "final round", "second follow-up", "later", "legacy",
    "sustained", "more tangible", "tangible", "a year later", "year on", "one year on",
)
# The first word of a list item that reports a change (outcome) or a step taken (action).
CHANGE_WORDS = frozenset(
    "improved improvement improvements better greater more fewer less lower higher reduced reduction reductions "
    "increased increase increases faster quicker stronger clearer raised rising falling fell rose enhanced "
    "strengthened sustained positive".split()
)
STEP_WORDS = frozenset(
    "introducing introduced reviewing reviewed developing developed establishing established implementing "
    "implemented creating created setting set launching launched revising revised delivering delivered "
    "commissioning commissioned appointing appointed holding held running training piloting piloted agreeing "
    "agreed restructuring restructured drafting drafted planning planned undertaking undertook".split()
)

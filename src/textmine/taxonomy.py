"""The labels textmine assigns, with the project's own definitions and cue phrases.

The ids are the shared ones of the research programme; the descriptions and the
cue phrases are ours. Cue phrases are what a human coder looks for: the
classifier uses them as features next to the words of the passage.
"""

from __future__ import annotations

THEMES: dict[str, str] = {
    "practice_and_service_delivery": (
        "The quality of frontline work with children and families: assessments, casework, "
        "thresholds and the handling of referrals, early help and preventive services, "
        "auditing and assuring practice, and training for practitioners."
    ),
    "capacity_and_resources": (
        "Whether there are enough people and money: recruiting and keeping social workers, "
        "vacancies, agency staff, caseload sizes, budgets, savings and the cost of services."
    ),
    "working_together": (
        "How agencies work with each other: health, police, schools and the council, the "
        "safeguarding board and its subgroups, the MASH, joint protocols and shared understanding."
    ),
    "voice_of_the_child": (
        "Hearing children, young people and families: asking for their views, recording their "
        "wishes and feelings, participation groups and acting on what they say."
    ),
    "performance_management": (
        "Knowing how services perform: data, scorecards and dashboards, reports to boards and "
        "councillors, benchmarking, audits used to monitor, supervision and appraisal of staff."
    ),
    "vision_strategy_leadership": (
        "Direction and leadership: priorities and strategy, improvement plans, governance, the "
        "roles of the director, lead member and chief executive, and the pace of change."
    ),
}

FACTORS: dict[str, str] = {
    "team_composition": "Who sat on the review team: their seniority, skills and experience, and where they came from.",
    "staff_and_partner_involvement": "Who the review heard from: frontline and senior staff, and partner agencies.",
    "flexibility": "How far the review was shaped to the council's own questions rather than a fixed formula.",
    "focus_and_depth": "How deep the review went: case file audits, observing practice, testing evidence, fit with inspection.",
    "engagement": "How openly and seriously the council and its partners took part, and what it cost them to prepare.",
    "recommendations": "How useful the findings and recommendations were, and how they became an action plan.",
    "monitoring": "What followed the review: revisits, tracking the actions, owners, deadlines and evidence of impact.",
    "local_context_and_timing": "What else was going on: inspections, new leaders, staff turnover, money, national policy.",
}

STAGES: dict[str, str] = {
    "insight": "The review helped people understand: it confirmed or revealed strengths and weaknesses.",
    "action": "Something was done or planned because of the review: a plan, a process, training, an audit.",
    "outcome": "Practice, services or results for children changed in a way people could see or measure.",
}

AUDIENCES = ("council", "lga")

AXES: dict[str, dict[str, str]] = {"theme": THEMES, "factor": FACTORS, "stage": STAGES}

# Phrases a coder would take as a sign of each label (lower case, matched on word boundaries).
CUES: dict[str, list[str]] = {
    "practice_and_service_delivery": [
        "assessment", "assessments", "casework", "case work", "threshold", "thresholds", "referral",
        "referrals", "early help", "front door", "caf", "team around the child", "tac", "practice",
        "practitioners", "social work practice", "child protection plan", "care plan", "quality of practice",
        "case file", "strategy discussion", "section 47", "child in need", "looked after", "care leavers",
        "edge of care", "neglect", "domestic abuse", "child sexual exploitation", "cse", "training",
        "service delivery", "preventive", "prevention", "family support", "plans for children", "pathway",
    ],
    "capacity_and_resources": [
        "capacity", "caseload", "caseloads", "vacancy", "vacancies", "agency staff", "agency social workers",
        "locum", "recruitment", "recruit", "retention", "retain", "turnover", "workforce", "budget", "budgets",
        "funding", "savings", "spend", "overspend", "cost", "costs", "resources", "resourcing", "posts",
        "establishment", "staffing", "newly qualified", "nqsw", "workload", "money", "commissioning spend",
    ],
    "working_together": [
        "partner", "partners", "partnership", "multi-agency", "multi agency", "lscb", "safeguarding board",
        "mash", "health", "police", "schools", "gp", "gps", "health visitors", "midwives", "joint",
        "inter-agency", "agencies", "subgroup", "sub-group", "memorandum of understanding", "protocol",
        "information sharing", "health and wellbeing board", "strategy meetings", "shared understanding",
    ],
    "voice_of_the_child": [
        "voice of the child", "child's voice", "views of children", "children's views", "young people",
        "wishes and feelings", "participation", "children in care council", "youth parliament", "youth council",
        "consultation", "listen", "listened", "heard", "feedback from children", "feedback from families",
        "advocacy", "advocate", "lived experience", "direct work", "child's own words", "their views",
    ],
    "performance_management": [
        "performance", "data", "dashboard", "dashboards", "scorecard", "indicators", "kpi", "kpis",
        "benchmarking", "benchmark", "exception report", "performance report", "scrutiny", "supervision",
        "appraisal", "quality assurance", "audit programme", "audit framework", "monitoring", "management information",
        "performance clinic", "figures", "metrics", "targets", "reporting",
    ],
    "vision_strategy_leadership": [
        "leadership", "leaders", "strategy", "strategic", "vision", "priorities", "improvement plan",
        "improvement board", "governance", "director of children's services", "dcs", "lead member",
        "chief executive", "corporate", "senior leadership", "political", "members", "councillors",
        "direction", "culture", "ambition", "accountability", "pace of change", "single plan",
    ],
    "team_composition": [
        "review team", "peer team", "the team's", "peers", "peer reviewers", "team members", "seniority",
        "credibility", "experienced", "director from", "health peer", "police peer", "similar council",
        "lead reviewer", "composition", "make-up", "who was on the team", "reviewers",
    ],
    "staff_and_partner_involvement": [
        "interviewed", "interviews", "focus groups", "focus group", "spoke to", "met with", "frontline staff",
        "front-line", "partners took part", "involved staff", "involvement", "range of staff", "conversations",
        "social workers told", "staff were asked", "partners were involved",
    ],
    "flexibility": [
        "flexible", "flexibility", "tailored", "tailor", "bespoke", "key lines of enquiry", "kloe", "kloes",
        "own questions", "formulaic", "scope agreed", "adapted", "shaped", "chosen focus", "methodology",
    ],
    "focus_and_depth": [
        "depth", "in depth", "deep dive", "breadth", "case file audit", "case files", "case audit", "observation",
        "observed", "triangulate", "triangulated", "triangulation", "evidence base", "inspection framework",
        "ofsted framework", "scrutiny of cases", "sample of cases", "focused", "narrow", "too broad",
    ],
    "engagement": [
        "open", "openness", "honest", "honesty", "transparent", "transparency", "buy-in", "bought in",
        "defensive", "welcomed", "took it seriously", "engaged", "engagement", "preparation", "burden",
        "morale", "willing", "receptive", "appetite",
    ],
    "recommendations": [
        "recommendations", "recommendation", "findings", "feedback presentation", "feedback letter", "report",
        "action plan", "practical", "specific", "smart", "balanced", "evidence behind", "helpful feedback",
        "areas for consideration", "clear messages",
    ],
    "monitoring": [
        "follow-up", "follow up", "revisit", "return visit", "progress review", "tracked", "tracking", "monitor",
        "monitored", "monitoring", "owner", "owners", "target dates", "milestones", "rag", "progress against",
        "update to the board", "evidence impact", "six months on", "twelve months on",
    ],
    "local_context_and_timing": [
        "ofsted", "inspection", "inspected", "notice to improve", "inadequate", "new director", "interim",
        "change of leadership", "restructure", "restructuring", "turnover", "churn", "budget cuts", "austerity",
        "funding pressures", "national policy", "munro", "timing", "at the time", "serious case review",
        "election", "reorganisation", "unannounced",
    ],
    "insight": [
        "confirmed", "reinforced", "identified", "highlighted", "recognised", "realised", "understand",
        "understanding", "reflect", "reflection", "made us think", "fresh pair of eyes", "external view",
        "validated", "affirmed", "told us", "showed us", "helped us see", "eye-opener",
    ],
    "action": [
        "introduced", "implemented", "established", "set up", "launched", "developed", "created", "appointed",
        "commissioned", "delivered", "rolled out", "will", "plan to", "planned", "agreed", "restructured",
        "revised", "piloted", "training programme", "new process", "new protocol",
    ],
    "outcome": [
        "improved", "improvement in", "reduced", "fell", "fallen", "increased", "rose", "now", "as a result",
        "resulted in", "led to", "impact on", "better outcomes", "timeliness", "rate", "per cent", "%",
        "feel listened", "measurable", "evidence of change", "difference for children",
    ],
}


def definition(label: str) -> str:
    for labels in AXES.values():
        if label in labels:
            return labels[label]
    raise KeyError(f"unknown label {label!r}")

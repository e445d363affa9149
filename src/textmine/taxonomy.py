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

# Phrases a coder would take as a sign of each label (lower case; words are matched on word
# boundaries, symbols such as "£" and "%" anywhere).
CUES: dict[str, list[str]] = {
    "practice_and_service_delivery": [
        "assessment", "assessments", "risk assessment", "analysis of risk", "casework", "case work",
        "threshold", "thresholds", "continuum of need", "levels of need", "referral", "referrals",
        "re-referral", "re-referrals", "front door", "first response", "duty and assessment",
        "contact and referral", "early help", "early intervention", "caf", "common assessment framework",
        "team around the child", "tac", "team around the family", "lead professional", "troubled families",
        "children's centres", "family support", "preventive", "prevention", "practice", "practitioners",
        "social work practice", "quality of practice", "practice model", "practice standards",
        "signs of safety", "restorative practice", "systemic practice", "reflective practice",
        "child protection plan", "child protection plans", "child protection conference", "core group",
        "core groups", "care plan", "care plans", "pathway plan", "pathway plans", "plans for children",
        "smart plans", "permanence", "care proceedings", "public law outline", "pre-proceedings", "case file",
        "case recording", "case records", "chronology", "chronologies", "strategy discussion", "section 47",
        "section 17", "child in need", "children in need", "looked after", "care leavers", "edge of care",
        "neglect", "graded care profile", "domestic abuse", "domestic violence", "child sexual exploitation",
        "cse", "missing from home", "return interviews", "private fostering", "statutory visits",
        "management oversight", "training", "practice guidance", "cpd", "service delivery", "pathway",
        "step down", "step-down", "disabled children", "placement stability",
    ],
    "capacity_and_resources": [
        "capacity", "caseload", "caseloads", "carrying", "families each", "children each", "cases each",
        "workload", "workloads", "overstretched", "stretched", "over-stretched", "vacancy", "vacancies",
        "vacancy rate", "vacant posts", "unfilled", "unfilled posts", "agency staff", "agency social workers",
        "agency workers", "reliance on agency", "locum", "locums", "interim staff", "recruitment", "recruit",
        "recruiting", "recruited", "retention", "retain", "retaining", "turnover", "workforce",
        "workforce strategy", "head count", "headcount", "establishment", "posts", "staffing",
        "staffing levels", "newly qualified", "nqsw", "nqsws", "asye", "golden hello", "market supplement",
        "grow our own", "budget", "budgets", "budget pressures", "funding", "additional funding",
        "additional investment", "one-off funding", "savings", "savings target", "savings targets", "spend",
        "overspend", "underspend", "cost", "costs", "unit cost", "unit costs", "value for money", "resources",
        "resourcing", "money", "commissioning spend", "growth bid", "business case",
        "medium term financial plan", "medium term financial strategy", "mtfs", "invest to save",
        "efficiencies", "efficiency savings", "placement costs", "sufficiency", "redeployed",
        "releasing capacity", "business support", "sickness absence", "£",
    ],
    "working_together": [
        "partner", "partners", "partnership", "partnerships", "partnership working", "partner agencies",
        "multi-agency", "multi agency", "multiagency", "inter-agency", "interagency", "agencies",
        "across agencies", "between agencies", "single agency", "lscb", "safeguarding board",
        "local safeguarding children board", "independent chair", "subgroup", "sub-group", "subgroups",
        "sub-groups", "mash", "multi-agency safeguarding hub", "health", "police", "schools", "headteachers",
        "head teachers", "designated nurse", "designated doctor", "named nurse", "ccg",
        "clinical commissioning group", "nhs", "health partners", "gp", "gps", "health visitors",
        "school nurses", "midwives", "probation", "cafcass", "youth offending", "yot", "voluntary sector",
        "third sector", "joint", "joint working", "joint commissioning", "jointly", "pooled budget",
        "memorandum of understanding", "protocol", "protocols", "joint protocol", "information sharing",
        "information-sharing", "health and wellbeing board", "strategy meetings", "shared understanding",
        "duplication", "co-located", "co-location", "children's trust", "section 11", "marac", "mappa",
        "escalation policy", "professional challenge", "working relationships", "relationships with partners",
        "lado", "partnership arrangements",
    ],
    "voice_of_the_child": [
        "voice of the child", "voice of children", "voice of young people", "child's voice",
        "children's voices", "views of children", "children's views", "views of young people",
        "young people's views", "views and wishes", "wishes and feelings", "participation",
        "participation worker", "participation team", "participation strategy", "children in care council",
        "youth parliament", "youth council", "youth forum", "care leavers forum", "consultation", "consulted",
        "listen", "listened", "listening", "listened to", "heard", "feedback from children",
        "feedback from young people", "feedback from families", "family feedback", "parents' views",
        "views of parents", "service user", "service users", "advocacy", "advocate", "advocates",
        "advocacy service", "independent advocate", "independent visitor", "lived experience", "direct work",
        "child's own words", "in their own words", "what the child said", "what children think",
        "young people told", "young people said", "children told us", "children said", "mind of my own",
        "questionnaire", "questionnaires", "survey of children", "bright spots", "pledge", "young inspectors",
        "young commissioners", "co-production", "coproduction", "co-produced", "child-centred",
        "child centred", "child-focused", "child focused", "child's experience", "complaints",
        "engagement of children",
    ],
    "performance_management": [
        "performance", "performance management", "performance data", "performance information", "data",
        "dashboard", "dashboards", "scorecard", "scorecards", "indicators", "performance indicators", "kpi",
        "kpis", "benchmarking", "benchmark", "benchmarked", "statistical neighbours", "comparator",
        "comparators", "national averages", "exception report", "exception reporting", "performance report",
        "performance reports", "performance monitoring", "monitoring data", "scrutiny", "scrutiny committee",
        "overview and scrutiny", "supervision", "supervision records", "appraisal", "appraisals",
        "quality assurance", "quality assurance framework", "qa framework", "audit programme",
        "audit framework", "case file audit programme", "audit findings reported to", "audit activity",
        "thematic audit", "thematic audits", "learning from audits", "audit cycle", "management information",
        "performance clinic", "performance clinics", "performance meetings", "performance framework",
        "performance culture", "figures", "metrics", "targets", "reporting", "data quality",
        "business intelligence", "intelligence", "trend data", "monthly reports", "quarterly reports",
        "reports to members", "data analysis", "analysis of data", "compliance", "outturn", "line management",
    ],
    "vision_strategy_leadership": [
        "leadership", "leaders", "senior leaders", "strategic leadership", "strategy", "strategic",
        "strategic direction", "vision", "shared vision", "priorities", "strategic priorities",
        "improvement plan", "single improvement plan", "improvement board", "improvement journey",
        "governance", "governance arrangements", "director of children's services", "dcs", "lead member",
        "portfolio holder", "chief executive", "corporate", "corporate support", "corporate leadership",
        "senior leadership", "senior leadership team", "slt", "senior management team", "leadership team",
        "management team", "assistant director", "political", "political leadership", "political support",
        "cross-party", "members", "elected members", "councillors", "cabinet", "direction",
        "direction of travel", "sense of direction", "culture", "organisational culture", "ambition",
        "ambitious", "accountability", "accountable", "pace of change", "pace", "single plan",
        "children and young people's plan", "cypp", "transformation", "transformation programme",
        "change programme", "visible leadership", "championed", "champion", "corporate parenting",
        "corporate parenting board", "top of the agenda", "high priority", "strategic plan", "business plan",
    ],
    "team_composition": [
        "review team", "peer team", "the team's", "peers", "peer reviewers", "team members", "seniority",
        "credibility", "experienced", "director from", "health peer", "police peer", "similar council",
        "lead reviewer", "composition", "make-up", "who was on the team", "reviewers",
        "team composition", "make up", "membership", "skills mix", "skills and experience", "sector experience",
        "peer from", "peers from", "recruit peers", "choice of peers", "who sits on the team", "peer reviewer",
    ],
    "staff_and_partner_involvement": [
        "interviewed", "interviews", "focus groups", "focus group", "spoke to", "met with", "frontline staff",
        "front-line", "partners took part", "involved staff", "involvement", "range of staff", "conversations",
        "social workers told", "staff were asked", "partners were involved",
        "involve", "involving", "involved", "participate", "take part", "taking part", "cross-section",
        "all levels of staff", "range of views", "strategic and frontline", "strategic and operational",
        "interviewees", "who the team spoke to", "contributions",
    ],
    "flexibility": [
        "flexible", "flexibility", "tailored", "tailor", "bespoke", "key lines of enquiry", "kloe", "kloes",
        "own questions", "formulaic", "scope agreed", "adapted", "shaped", "chosen focus", "methodology",
        "tailoring", "tailored to", "lines of enquiry", "line of enquiry", "one size", "adapt", "adaptable",
        "shaped around", "specific needs", "self-selected", "flexibly",
    ],
    "focus_and_depth": [
        "depth", "in depth", "deep dive", "breadth", "case file audit", "case files", "case audit", "observation",
        "observed", "triangulate", "triangulated", "triangulation", "evidence base", "inspection framework",
        "ofsted framework", "scrutiny of cases", "sample of cases", "focused", "narrow", "too broad",
        "deep", "deeper", "in-depth", "scope", "rigour", "rigorous", "observing practice", "observe",
        "methodological", "alignment", "aligned with", "focus of the review",
    ],
    "engagement": [
        "open", "openness", "honest", "honesty", "transparent", "transparency", "buy-in", "bought in",
        "defensive", "welcomed", "took it seriously", "engaged", "engagement", "preparation", "burden",
        "morale", "willing", "receptive", "appetite",
        "engage", "engaging", "commitment", "commit", "committed", "ownership", "seriously", "candid",
        "trust", "penalty", "penalties", "no grade", "voluntary", "obligation", "well organised",
        "onerous", "confidence among staff", "constructive", "collaborative approach", "negative consequences",
        "less significant",
    ],
    "recommendations": [
        "recommendations", "recommendation", "findings", "feedback presentation", "feedback letter", "report",
        "action plan", "practical", "specific", "smart", "balanced", "evidence behind", "helpful feedback",
        "areas for consideration", "clear messages",
        "solutions", "solution-focused", "solutions focused", "actionable", "findings and recommendations",
        "review findings", "implement recommendations", "quality of feedback", "evidence-based",
    ],
    "monitoring": [
        "follow-up", "follow up", "revisit", "return visit", "progress review", "tracked", "tracking", "monitor",
        "monitored", "monitoring", "owner", "owners", "target dates", "milestones", "rag", "progress against",
        "update to the board", "evidence impact", "six months on", "twelve months on",
        "monitoring visits", "check-in", "check-ins", "accountability", "accountable for", "track", "targets",
        "evidencing", "revisits", "followed up", "after the review", "post-review", "peer challenge",
        "keeping track", "progress checks",
    ],
    "local_context_and_timing": [
        "ofsted", "inspection", "inspected", "notice to improve", "inadequate", "new director", "interim",
        "change of leadership", "restructure", "restructuring", "turnover", "churn", "budget cuts", "austerity",
        "funding pressures", "national policy", "munro", "timing", "at the time", "serious case review",
        "election", "reorganisation", "unannounced",
        "inspections", "inspectors", "inspection cycle", "context", "circumstances", "leadership changes",
        "new leadership", "staff turnover", "cuts", "funding", "attribute", "attributing", "attribution",
        "complementary", "other forms of scrutiny", "external scrutiny", "regulator", "improvement board",
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

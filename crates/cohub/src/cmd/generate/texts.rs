//! The words `cohub generate` writes: places, organisations, people's names, health
//! conditions and the barriers to care, and the templates of every kind of text. A template's
//! `{condition}`, `{service}`, `{harm}`, `{barrier}`, `{cause}`, `{area}` and `{place}` are
//! filled from the problem's topic (`super::fill`).

/// A health condition, the service people miss, and what missing it leads to.
#[derive(Debug)]
pub(super) struct Condition(pub &'static str, pub &'static str, pub &'static str);

/// Why people miss a service, and its social cause in a word or two.
#[derive(Debug)]
pub(super) struct Barrier(pub &'static str, pub &'static str);

pub(super) const CONDITIONS: &[Condition] = &[
    Condition("type 2 diabetes", "retinal screening", "sight loss"),
    Condition(
        "high blood pressure",
        "blood-pressure checks",
        "strokes and heart attacks",
    ),
    Condition(
        "COPD",
        "pulmonary rehabilitation",
        "emergency admissions every winter",
    ),
    Condition(
        "childhood asthma",
        "asthma reviews",
        "lost school days and admissions",
    ),
    Condition(
        "perinatal depression",
        "postnatal mental-health checks",
        "mothers struggling alone for months",
    ),
    Condition(
        "dementia",
        "memory assessments",
        "crises at home before anyone knows",
    ),
    Condition(
        "heart failure",
        "cardiac rehabilitation",
        "readmission within weeks",
    ),
    Condition(
        "chronic kidney disease",
        "kidney function tests",
        "late diagnosis and dialysis",
    ),
    Condition(
        "a risk of cervical cancer",
        "cervical screening",
        "cancers found late",
    ),
    Condition(
        "a risk of bowel cancer",
        "bowel screening",
        "cancers found late",
    ),
    Condition(
        "obesity",
        "weight-management programmes",
        "diabetes and joint pain",
    ),
    Condition(
        "long COVID",
        "rehabilitation clinics",
        "people unable to work",
    ),
    Condition(
        "sickle cell disease",
        "annual reviews",
        "painful crises treated in A&E",
    ),
    Condition(
        "hepatitis C",
        "testing and treatment",
        "liver damage that could have been cured",
    ),
];

pub(super) const BARRIERS: &[Barrier] = &[
    Barrier("invitations are letters in English only", "language"),
    Barrier("appointments are only in working hours", "work"),
    Barrier("the clinic is two buses away", "transport"),
    Barrier("booking is online only", "digital exclusion"),
    Barrier("damp, crowded housing makes every week a crisis", "housing"),
    Barrier("carers cannot leave the person they look after", "caring"),
    Barrier("people fear being judged by staff", "trust"),
    Barrier("travel and prescriptions cost too much", "income"),
    Barrier("shift workers miss the call-back", "work"),
    Barrier("nobody explains what the test is for", "information"),
    Barrier("people who move often never get the letter", "housing"),
    Barrier("there is no female clinician to see", "culture and trust"),
];

pub(super) const PLACES: &[&str] = &[
    "Sandwell",
    "Walsall",
    "Dudley",
    "Wolverhampton",
    "Smethwick",
    "Tipton",
    "West Bromwich",
    "Wednesbury",
    "Bilston",
    "Oldbury",
    "Halesowen",
    "Brierley Hill",
    "Darlaston",
    "Willenhall",
    "Rowley Regis",
    "Stourbridge",
    "Cradley Heath",
    "Bloxwich",
    "Wednesfield",
    "Netherton",
];

pub(super) const AREAS: &[&str] = &[
    "the Lion Farm estate",
    "Friar Park",
    "the town centre flats",
    "Caldmore",
    "Palfrey",
    "the Priory estate",
    "Low Hill",
    "Heath Town",
    "Princes End",
    "Tividale",
    "the Beeches",
    "Hateley Heath",
    "Blakenall",
    "Scotlands",
    "Cradley",
    "Woods Bank",
];

pub(super) const COMMUNITY_ORGS: &[&str] = &[
    "{place} Homes Housing Association",
    "Al-Noor Mosque Community Health Group, {place}",
    "Carers Together {place}",
    "{place} Tenants' Federation",
    "Guru Nanak Gurdwara Health Circle, {place}",
    "{place} Somali Women's Group",
    "{place} Polish Community Centre",
    "{place} Food Bank and Advice Centre",
    "Caribbean Elders of {place}",
];

pub(super) const INNOVATORS: &[&str] = &[
    "GlucoLink",
    "BloomMind",
    "BreatheWell Digital",
    "CareCircle",
    "PulseWise Analytics",
    "KinConnect",
    "MedSpeak Translate",
    "StepUp Health",
    "RemindMe Voice",
    "ClearSight Labs",
];

pub(super) const CLINICAL_ORGS: &[&str] = &[
    "{place} Diabetes Specialist Nursing Team",
    "Oak Lane GP Practice, {place}",
    "{place} Maternity Unit",
    "{place} Community Respiratory Team",
    "{place} Memory Clinic",
    "High Street Medical Centre, {place}",
    "{place} Community Pharmacy Network",
];

pub(super) const FIRST_NAMES: &[&str] = &[
    "Amina",
    "Tom",
    "Jaspreet",
    "Helen",
    "Imran",
    "Sue",
    "Dan",
    "Sara",
    "Rachel",
    "Farah",
    "Eleanor",
    "Mark",
    "Owen",
    "Nadia",
    "Kwame",
    "Agnieszka",
    "Hodan",
    "Gurpreet",
    "Winston",
    "Bilal",
    "Chloe",
    "Marek",
    "Fatima",
    "Priya",
    "Joseph",
    "Leanne",
    "Ayesha",
    "Delroy",
    "Samira",
    "Kevin",
    "Mandeep",
    "Ewa",
    "Abdi",
    "Grace",
    "Rajesh",
    "Bernadette",
];

pub(super) const SURNAMES: &[&str] = &[
    "Begum",
    "Price",
    "Kaur",
    "Ward",
    "Hussain",
    "Collins",
    "Okafor",
    "Lindqvist",
    "Green",
    "Ahmed",
    "Hughes",
    "Stevens",
    "Jones",
    "Rahman",
    "Mensah",
    "Nowak",
    "Warsame",
    "Singh",
    "Campbell",
    "Khan",
    "Smith",
    "Kowalski",
    "Ali",
    "Patel",
    "Brown",
    "Taylor",
    "Akhtar",
    "Thompson",
    "Mohamed",
    "Evans",
    "Sandhu",
    "Wiśniewska",
    "Farah",
    "Williams",
    "Sharma",
];

pub(super) const CHARTER: &str = "We work as equal partners. Community organisations sit at the heart of the hub and speak for residents who are missing from patient forums. Every contribution is recorded under its author's name and nobody overwrites another's words. Every contribution gets a reply. Costs and rewards are agreed only when every party consents to the same version, and something always flows back to the community.";

pub(super) const STATEMENTS: &[&str] = &[
    "Residents of {area} with {condition} miss {service} because {barrier}. Missing it leads to {harm}. The people most affected are the ones services reach least, and they are rarely in the room when services are planned.",
    "Uptake of {service} in {area} is far below the rest of {place}. Residents tell champions that {barrier}. Clinicians see the result later as {harm}.",
    "{service} works for people who can read the letter, take time off and get there. In {area} many cannot: {barrier}. We want to understand why, with the residents themselves, before anyone designs a fix.",
];

pub(super) const AFFECTED: &[&str] = &[
    "Adults with {condition} in {area}, many of them older, many speaking little English, and the family members who care for them.",
    "People with {condition} who live in social housing in {area}, shift workers and carers in particular.",
    "Families in {area} where someone has {condition}, especially those new to the country or moving between temporary homes.",
];

pub(super) const EVIDENCE_LIVED: &[&str] = &[
    "Champions spoke with 40 residents at the community centre; most had never heard of {service}, and several said {barrier}.",
    "A tenant told us: \"I put the letter in the drawer because I could not read it. Nobody phoned.\"",
    "At three coffee mornings residents described {harm} in their own families, and said the service felt like it was not for them.",
];

pub(super) const EVIDENCE_DATA: &[&str] = &[
    "Uptake of {service} in {area} is 58% against a target of 80%, and lowest among people registered with an interpreter need.",
    "Practice records show one in three invitations for {service} in {area} went unanswered last year.",
    "Emergency admissions linked to {condition} in {area} are almost twice the {place} average.",
];

pub(super) const EVIDENCE_CLINICAL: &[&str] = &[
    "Missing {service} means {harm}; most of it is preventable when found early.",
    "Clinical guidance recommends {service} every year for everyone with {condition}.",
];

pub(super) const PERSPECTIVE_LIVED: &[&str] = &[
    "My neighbour has {condition} and stopped going to {service} because {barrier}. She only found out how serious it was when she ended up in hospital.",
    "We hear it every week at the drop-in: people want to go, but {barrier}. They feel the system was built for someone else.",
    "I look after my father. The letters come in English, the phone line is busy, and by the time we get through the slots have gone.",
    "People in {area} do not trust a letter from the hospital. They trust a face they know, someone from the mosque or the tenants' hall.",
];

pub(super) const LIVED_OTHER_LANGUAGES: &[(&str, &str)] = &[
    (
        "ur",
        "ہمیں ہسپتال کے خط سمجھ نہیں آتے، اس لیے ہم اپوائنٹمنٹ پر نہیں جاتے۔",
    ),
    ("pa", "ਸਾਨੂੰ ਹਸਪਤਾਲ ਦੀਆਂ ਚਿੱਠੀਆਂ ਸਮਝ ਨਹੀਂ ਆਉਂਦੀਆਂ।"),
    ("bn", "আমরা হাসপাতালের চিঠিগুলো বুঝতে পারি না, তাই আমরা যাই না।"),
    (
        "pl",
        "Nie rozumiemy listów ze szpitala, więc nie chodzimy na wizyty.",
    ),
    (
        "so",
        "Ma fahmno waraaqaha isbitaalka, sidaas darteed ma tagno ballanta.",
    ),
];

pub(super) const PERSPECTIVE_CLINICAL: &[&str] = &[
    "Clinically, missing {service} leads to {harm}. When we see these patients it is often too late to do more than slow things down.",
    "We offer {service}, but DNA rates from {area} are the highest in our list. Most of these patients are not refusing care; they are not reaching it.",
    "A reminder alone will not be enough for everyone; some patients need someone to go with them the first time.",
];

pub(super) const PERSPECTIVE_COMMISSIONING: &[&str] = &[
    "{service} in {area} is commissioned for the whole population but used by the half that finds it easiest. We are paying for appointments that go unused.",
    "Uptake is below target and the gap is widest in the most deprived areas. We can fund a pilot if it shows results within a year.",
    "Any solution has to be affordable at scale across {place}, and we need outcome data to justify keeping it.",
];

pub(super) const PERSPECTIVE_DATA: &[&str] = &[
    "Non-attendance for {service} clusters in a few postcodes of {area}, and correlates with interpreter need and with overcrowded housing.",
    "Text reminders raised attendance by about ten points elsewhere, but only for people whose mobile number is on record.",
    "Half of the people who miss {service} have missed it two years running; a small group accounts for most of the gap.",
];

pub(super) const PERSPECTIVE_SOCIAL: &[&str] = &[
    "This is about {cause} as much as health: {barrier}. Fixing the appointment system alone will not change that.",
    "Low income, zero-hours work and damp housing all pile up on the same families in {area}. {condition} is one more thing they cannot fit in.",
    "People who have been let down by services before stop expecting anything. Trust has to be rebuilt by people they already know.",
];

pub(super) const PROBLEM_RATIONALES: &[&str] = &[
    "Reworded after the perspectives: the problem is not that residents do not care, it is that {barrier}.",
    "Added the clinical evidence and narrowed the place to {area}, where the gap is widest.",
    "Residents asked us to describe the problem in their words, not the service's.",
];

pub(super) const STAGE_EXPLORING: &[&str] = &[
    "Enough perspectives to start exploring the causes with residents.",
    "The hub agreed at its meeting to look into this properly.",
];

pub(super) const STAGE_DEVELOPING: &[&str] = &[
    "We understand the causes well enough to start on solutions.",
    "Residents and clinicians agree on what is going wrong; time for ideas.",
];

pub(super) const STAGE_CLOSED: &[&str] = &[
    "A solution has been agreed and funded; the hub will follow its outcome data.",
    "Closed after the pilot: the service has changed and uptake is rising.",
];

pub(super) const STAGE_PARKED: &[&str] = &[
    "Parked until the new contract starts next year; nobody can fund a change before then.",
    "Parked while the practice merger settles.",
];

pub(super) const STAGE_REOPENED: &[&str] =
    &["Reopened: uptake has fallen again since the pilot ended."];

pub(super) const ACK_NOTES: &[&str] = &[
    "Thank you, this changes how I see it.",
    "Heard. We will bring this to the next hub meeting.",
    "Thank you for speaking up for the residents of {area}.",
    "This matches what we see in clinic.",
];

pub(super) const IDEAS: &[&str] = &[
    "Community-language voice reminders for {service}, recorded by trusted champions",
    "Drop-in {service} at the mosque after Friday prayers",
    "Evening and weekend {service} in {area}",
    "Text booking with a free call-back for {service}",
    "Champions who go with residents to their first {service}",
    "A short video in five languages explaining {service}",
    "Free bus passes for {service} appointments",
    "Pop-up {service} at the food bank",
    "A peer support group for people with {condition} in {area}",
    "Home visits for {service} for carers and the people they care for",
    "A WhatsApp line run by champions answering questions about {service}",
    "A shared calendar that books {service} around carers' shifts",
];

pub(super) const IDEA_SUMMARIES: &[&str] = &[
    "Residents of {area} get a reminder they understand, from someone they trust, with a way to book there and then. Champions record the messages; the platform sends them and books the slot.",
    "Bring {service} to where people already are, at times they can make, with a champion on hand to explain and to listen. Start in {area} for six months and measure uptake.",
    "A small, low-cost change first: make booking possible without a letter or a website, and follow up everyone who misses {service} with a call in their own language.",
];

pub(super) const RESIDENTS_NAMED: &[&str] = &[
    "Members of the {area} tenants' association who have {condition}",
    "The women's group that meets at the community centre in {area}",
    "Carers who come to the Tuesday drop-in in {area}",
];

pub(super) const RESIDENTS_ANONYMOUS: &[&str] = &[
    "Twelve residents of {area} who asked not to be named",
    "Families who spoke to champions in confidence",
];

pub(super) const HOW_AGREED: &[&str] = &[
    "At the tenants' meeting on the first Monday of the month, by a show of hands after the idea was read out in three languages.",
    "Each person agreed in person with a champion, who read the proposal back to them in their own language.",
    "At the women's group, after two sessions discussing it; those who could not come agreed by phone.",
];

pub(super) const FEEDBACK: &[&str] = &[
    "We can offer our platform for this; it already sends reminders in twelve languages.",
    "Who checks that the translations are right? A wrong word about {service} could frighten people.",
    "Please include carers: they are often the ones who make the appointment happen.",
    "How will we know it worked? We would want uptake figures by practice every quarter.",
    "The champions will need paid time for this, not just goodwill.",
    "Evening slots would need clinical staff on overtime; that needs funding.",
];

pub(super) const RESPONSES: &[&str] = &[
    "Thank you. We have added this to the plan and will come back with figures.",
    "Good point: a clinician will check every script before it is recorded.",
    "Agreed. Carers are now named in the idea, and will be asked first.",
    "We will report uptake by practice every quarter to the hub.",
];

pub(super) const IDEA_RATIONALES: &[&str] = &[
    "Revised after the feedback: carers are included and translations are checked by a clinician.",
    "Narrowed to {area} for the first six months, as commissioners asked.",
    "Added paid champion time and how we will measure uptake.",
];

pub(super) const IDEA_WITHDRAWALS: &[&str] = &[
    "Withdrawn: the practice has started something very similar, and we will support that instead.",
    "Withdrawn by the residents, who would rather put their energy into another idea.",
];

pub(super) const PREFERENCES: &[&str] = &[
    "Prefers a pilot in {area} before anything is rolled out across {place}.",
    "Prefers the option residents chose themselves.",
    "Prefers whatever can be measured within a year.",
    "Prefers an option that pays champions for their time.",
    "Prefers the lowest-cost option that reaches carers.",
];

pub(super) const SHORTLIST_RATIONALES: &[&str] = &[
    "Shortlisted: it was the residents' own choice, every party has agreed its costs and rewards, and it can be measured within a year.",
    "Shortlisted because it reaches the people the current service misses, at a cost the commissioners can carry.",
];

pub(super) const DECLINE_RATIONALES: &[&str] = &[
    "Declined for now: it cannot be funded this year, and the residents preferred another option.",
    "Declined: the clinical risks outweighed the benefits the hub could show.",
];

pub(super) const OUTSIDER_OBJECTIONS: &[&str] = &[
    "Carers do the reminding at home, and get nothing from this. We should be a party with a share.",
    "Our volunteers will do much of the outreach in {area}, yet we are not a party and nothing comes back to us.",
];

pub(super) const PARTY_OBJECTIONS: &[&str] = &[
    "The hours asked of our champions are more than we can give unpaid.",
    "We cannot agree while the outcome data would not be shared with residents.",
    "The revenue share does not reflect who carries the risk.",
];

pub(super) const OBJECTION_ANSWERS: &[&str] = &[
    "You are right. The next version addresses this; please look at it with us.",
    "Thank you. We have talked it through and can meet this in how the work is organised.",
    "We hear this. The commissioners have agreed to fund the champions' time separately.",
];

pub(super) const WITHDRAWAL_NOTES: &[&str] = &[
    "Withdrawn after the answer: our concern is met.",
    "We are satisfied with the proposer's answer.",
];

pub(super) const AMEND_RATIONALES: &[&str] = &[
    "Corrected the hours and funding after the parties checked their figures.",
    "Added a venue for drop-in sessions at the parties' request.",
];

pub(super) const VARIATION_RATIONALES: &[&str] = &[
    "After the first year, uptake rose and the service is expanding: the costs and shares need updating.",
    "The practice team now takes part, so the terms need a new round.",
];

pub(super) const ABANDON_REASONS: &[&str] = &[
    "Abandoned: the parties prefer to keep the agreed terms for another year.",
    "The expansion was postponed, so the agreed version stays in force.",
];

pub(super) const CLOSE_REASONS: &[&str] = &[
    "The objection could not be resolved in this round; a new proposal is welcome.",
    "After three meetings the parties could not agree; the round is closed.",
];

pub(super) const DISTRIBUTION_WITHDRAWALS: &[&str] = &[
    "Withdrawn: the funding it relied on was not renewed.",
    "Withdrawn to make way for a simpler proposal the parties prefer.",
];

"""Every user-facing sentence of the core, in one place so wording is reviewed together.

Slack-specific strings (onboarding, home, buttons) live in their own section below.
Placeholders are filled with str.format; values that come from users are escaped by the caller.
"""

HUMAN_CHANNEL = "#sig-security"

UNKNOWN = (
    "I don't have a good answer for that yet, sorry. I've recorded the question so the SIG Security "
    "maintainers can turn it into documentation. A human can help in {channel}."
)
ROUTED = (
    "I don't have a curated answer for that, but it belongs to *{name}* ({channel}; "
    "<{link}|about {name}>). I've recorded the question for the maintainers."
)
ROUTE_POINTER = "For more, ask *{name}* ({channel}; <{link}|about {name}>)."
SUGGESTIONS_INTRO = "I'm not sure I understood. Did you mean one of these?"
LINKS_HEADING = "Read more:"
EMPTY_QUESTION = (
    "Ask me a security question, for example _how do I enforce Pod Security Standards?_ "
    "or _how do I report a vulnerability?_"
)
OFF_TOPIC = (
    "I only know about Kubernetes security: reporting vulnerabilities, hardening, RBAC, pod security "
    "and the like. For general Kubernetes help, #kubernetes-users is a good place to ask."
)
PRIVATE_REPORT = (
    ":lock: This looks like it may describe a vulnerability that is not public yet. "
    "Please *do not share details in public channels or issues*: report it privately to the Security "
    "Response Committee at security@kubernetes.io or through the Kubernetes bug bounty "
    "(<https://hackerone.com/kubernetes|HackerOne>), following "
    "<https://kubernetes.io/docs/reference/issues-security/security/|the reporting guide>. "
    "If you already posted details publicly, please delete or edit that message."
)
PRIVATE_HINT = (
    ":lock: If this is about a vulnerability that is not public yet, please don't add details here: report it "
    "privately to security@kubernetes.io (<https://kubernetes.io/docs/reference/issues-security/security/|how>)."
)
CVE_MALFORMED = (
    "`{token}` does not look like a CVE id: they read CVE-YYYY-NNNN (a four-digit year, then four or more "
    "digits), for example CVE-2024-5321."
)
LATE_REPLY = "_Sorry for the slow answer: Slack or this bot had trouble for a while._"
CVE_ANNOUNCEMENT = ":mega: New in the official Kubernetes CVE feed: *{id}*: {summary}\n{links}"
PRIVATE_FALLBACK = "If you were asking a general question instead, one of these may answer it:"
RATE_LIMITED = (
    "You've asked {limit} questions in the last minute; please wait a moment before asking again."
)
SECRET_FOUND = (
    ":warning: Your message contained what looks like a credential ({kinds}). I removed it before "
    "reading or storing the message, but it was posted to Slack: please rotate it now."
)
INPUT_TRUNCATED = "Your message was long, so I only read its first {limit:,} characters."

# ---------------------------------------------------------------------- Slack surfaces
# (UNKNOWN, ROUTED, PRIVATE_REPORT, RATE_LIMITED, SUGGESTIONS_INTRO); values are escaped before .format.

SLACK_HOME_CHANNEL = HUMAN_CHANNEL
SLACK_MAILING_LIST = "https://groups.google.com/forum/#!forum/kubernetes-sig-security"
SLACK_SIG_PAGE = "https://github.com/kubernetes/community/tree/master/sig-security"
SLACK_SECURITY_POLICY = "https://kubernetes.io/docs/reference/issues-security/security/"
SLACK_SECURITY_EMAIL = "security@kubernetes.io"

SLACK_HELPFUL_PROMPT = "Was this helpful?"
SLACK_HELPFUL_YES = "Yes"
SLACK_HELPFUL_NO = "No"
SLACK_OWNER_POINTER = "Owned by *{name}* ({channel}) · <{link}|about the group>"
SLACK_LINKS_TITLE = "*Links*"
SLACK_SUGGESTION_BUTTON = "Did you mean: {question}"
SLACK_SUGGESTIONS_FALLBACK = "If none of these fit, a human can help in {channel}."
SLACK_PRIVATE_TITLE = "Please report this privately"
SLACK_PRIVATE_NOTE_TITLE = ":lock: Only you can see this"
SLACK_NO_FEEDBACK_THANKS = "Thanks, noted. A human can help in {channel}{owner}."
SLACK_NO_FEEDBACK_OWNER = " or from *{name}* ({channel})"
SLACK_YES_FEEDBACK_THANKS = "Thanks for the feedback!"
SLACK_FEEDBACK_FAILED = "Sorry, I couldn't record that feedback right now."
# The "Not helpful" modal (issue 13): why, and an optional comment.
SLACK_REASON_TITLE = "What went wrong?"
SLACK_REASON_SUBMIT = "Send"
SLACK_REASON_CLOSE = "Skip"
SLACK_REASON_INTRO = "Thanks for saying so. What was wrong with the answer? The maintainers see the counts."
SLACK_REASON_LABEL = "Reason"
SLACK_REASON_COMMENT = "Anything else? (optional; do not paste credentials)"
SLACK_REASON_MISSING = "Pick one of the reasons."
SLACK_REASONS = {
    "wrong": "The answer is wrong",
    "outdated": "It is outdated",
    "too_long": "It is too long",
    "not_my_question": "It didn't answer my question",
}
SLACK_SUGGESTION_GONE = "That answer is no longer available. A human can help in {channel}."
SLACK_ERROR = "Sorry, something went wrong on my side. A human can help in {channel}."

SLACK_HELP = ("*SIG Security bot* answers common Kubernetes security questions and points you to the people "
              "who own a topic.\n"
              "• `/sigsec ask &lt;question&gt;`: ask privately\n"
              "• `/sigsec cve CVE-ID [version]`: is a Kubernetes CVE fixed in your version?\n"
              "• `/sigsec onboard`: how to get involved in SIG Security\n"
              "• `/sigsec help`: this message\n"
              "• mention me in a channel, or send me a direct message")
SLACK_CVE_OFF = "CVE lookups are not set up on this bot (its operator sets `CVE_DATA`)."
SLACK_CVE_USAGE = "Usage: `/sigsec cve CVE-YYYY-NNNN [version] [component]`, e.g. `/sigsec cve CVE-2024-10220 1.29.3`"
SLACK_HELP_MAINTAINER = ("*Maintainers*\n"
                         "• `/sigsec report [days]`: unanswered and badly rated questions\n"
                         "• `/sigsec reload`: reload the knowledge files (a broken edit keeps the old knowledge)")
SLACK_ASK_EMPTY = "Ask me something: `/sigsec ask how do I report a vulnerability?`"
SLACK_UNKNOWN_SUBCOMMAND = "I don't know `{sub}`."
SLACK_MAINTAINERS_ONLY = "Sorry, `/sigsec {sub}` is for SIG Security bot maintainers."
SLACK_REPORT_TITLE = "Question report (last {days} days)"
SLACK_REPORT_BAD_DAYS = "`/sigsec report [days]`: days must be a whole number between 1 and 3650."
SLACK_RELOAD_OK = ":white_check_mark: Knowledge reloaded: {entries} entries, {routes} routes."
SLACK_RELOAD_FAILED = (":x: Reload failed; I kept the previous knowledge. Fix these {count} problem(s) and try "
                       "again:")

SLACK_HOME_TITLE = "SIG Security bot"
SLACK_HOME_INTRO = ("I answer common Kubernetes security questions, point you to the group that owns a topic, "
                    "and help you get involved in SIG Security.\n"
                    "• Mention me in a channel, or send me a direct message\n"
                    "• `/sigsec ask &lt;question&gt;` to ask privately")
SLACK_HOME_ONBOARD = "*New here?* See what SIG Security does and how to get involved."
SLACK_HOME_ONBOARD_BUTTON = "Get started"
SLACK_HOME_POPULAR_TITLE = "*Popular questions lately*"
SLACK_HOME_POPULAR_NONE = "_No questions asked recently._"
SLACK_HOME_REPORT_TITLE = "*Maintainer summary* (last {days} days)"
SLACK_HOME_REPORT_FAILED = "_The report could not be built right now._"

SLACK_ONBOARD_TITLE = "Welcome to Kubernetes SIG Security"
SLACK_ONBOARD_WHAT = ("*What we do:* SIG Security improves the security of the Kubernetes project across "
                      "SIGs: third-party security audits, security documentation, self-assessments of "
                      "subprojects, and security tooling.\n"
                      "*What we don't do:* we don't handle vulnerability reports (that is the Security Response "
                      "Committee: <mailto:{email}|{email}>) and we don't own the security of any one component "
                      "(each SIG owns its code).")
SLACK_ONBOARD_MEET = ("*Meetings:* biweekly on Fridays at 8:00 PT (see the <{sig_page}|SIG page> for the "
                      "calendar and notes).\n*Channel:* {channel}  ·  *Mailing list:* <{list}|kubernetes-sig-security>")
SLACK_ONBOARD_SUBPROJECTS = ("*Subprojects*\n"
                             "• *security-audit*: third-party audits of Kubernetes\n"
                             "• *security-docs*: security documentation (#sig-security-docs)\n"
                             "• *security-self-assessments*: assessments of subprojects (#sig-security-assessments)\n"
                             "• *security-tooling*: tools and automation (#sig-security-tooling)")
SLACK_ONBOARD_PICK = "*What are you interested in?*"
SLACK_INTERESTS = {
    "docs": ("Documentation",
             "*Documentation* (security-docs)\n"
             "1. Join #sig-security-docs and say hello.\n"
             "2. Browse open <https://github.com/kubernetes/website/issues?q=is%3Aopen+label%3Asig%2Fsecurity|"
             "security docs issues> and pick one labelled good first issue.\n"
             "3. Read the <https://kubernetes.io/docs/contribute/|docs contributor guide>."),
    "audits": ("Audits and assessments",
               "*Audits and assessments* (security-audit, security-self-assessments)\n"
               "1. Join #sig-security-assessments.\n"
               "2. Read past <https://github.com/kubernetes/sig-security/tree/main/sig-security-external-audit|"
               "audit reports> and the <https://github.com/kubernetes/sig-security/tree/main/"
               "sig-security-assessments|self-assessment guide>.\n"
               "3. Come to a SIG meeting (biweekly Fridays 8:00 PT) to join the next assessment."),
    "tooling": ("Tooling",
                "*Tooling* (security-tooling)\n"
                "1. Join #sig-security-tooling.\n"
                "2. Look at <https://github.com/kubernetes/sig-security/tree/main/sig-security-tooling|"
                "the tooling subproject> and its open issues.\n"
                "3. Bring an idea or a question to the channel or the SIG meeting."),
    "vuln": ("Vulnerability management",
             "*The vulnerability-management process*\n"
             "1. To *report* a vulnerability, never post it publicly: email <mailto:security@kubernetes.io|"
             "security@kubernetes.io> (see <https://kubernetes.io/docs/reference/issues-security/security/|"
             "the security policy>).\n"
             "2. The Security Response Committee handles reports; read <https://github.com/kubernetes/committee-"
             "security-response|how it works>.\n"
             "3. Follow announcements on <https://groups.google.com/g/kubernetes-security-announce|"
             "kubernetes-security-announce>."),
    "question": ("Just asking a question",
                 "*Just asking a question*\n"
                 "1. Ask me: mention me, DM me, or use `/sigsec ask &lt;question&gt;`.\n"
                 "2. If I can't help, ask in #sig-security: humans are there.\n"
                 "3. Or write to the <https://groups.google.com/forum/#!forum/kubernetes-sig-security|mailing list>."),
}
SLACK_WELCOME_TEXT = "Welcome to SIG Security! Here is how to get involved."
SLACK_DIGEST_TITLE = "Weekly SIG Security bot digest"


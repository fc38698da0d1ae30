"""The exam-site workstation's pages (考试机页面): server-rendered Jinja2, vendored scripts, same origin.

The pages show what the services decide and call the API's own JSON routes from the browser (with the
credentials in HttpOnly cookies, ``examsvc.identity.browser``); no rule of the exam lives here twice."""

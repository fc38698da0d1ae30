"""Users, roles, staff affiliations, login tokens and the access rules every route declares."""

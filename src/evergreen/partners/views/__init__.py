"""The partner program's pages: the owner's dashboard, the partner portal, sign-up, invitations."""

"""No back-office pages: answers are private and waves live on /surveys/.

Managers create, edit, open and close waves on the survey pages, which check
`quarter.surveys.access`; the Django admin would show response rows one by
one, which no operator may see.
"""

"""长辈模式 (elder mode): larger text, bigger tap areas and simpler resident pages.

The switch sits in the header of every page; the choice is kept in a cookie and,
for a signed-in person, in their DisplayPreference so it follows them to a new phone.
"""

"""The community card (大家卡) and the visit log (联系本): every payment at a till."""

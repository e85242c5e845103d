"""Pages of 免申即享: the rules console (operators, issuers) and "my benefits".

Views parse input, call one service or selector and render; the services
check permissions again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from quarter.benefits import access, selectors, services
from quarter.benefits.forms import RuleForm, initial_from_rule
from quarter.benefits.models import BenefitRule, RuleState
from quarter.core import clock
from quarter.core.errors import DomainError, PermissionDenied


def _form_error(form, exc: DomainError) -> None:
    field = (exc.field or "").split(".")[0]
    form.add_error(field if field in form.fields else None, exc.message)


@login_required
def my_benefits(request):
    return render(
        request,
        "benefits/mine.html",
        {"grants": selectors.list_my_grants(actor=request.user)},
    )


@login_required
def rule_list(request):
    access.require_rule_writer(request.user)
    form = RuleForm(
        request.POST or None,
        actor=request.user,
        initial={"starts_on": clock.local_now().date(), "coupon_count": 1},
    )
    if request.method == "POST" and form.is_valid():
        data = form.to_input()
        if data is not None:
            try:
                rule = services.create_rule(actor=request.user, data=data)
                messages.success(
                    request, f"规则“{rule.name}”已保存为草稿,请先预览再启用"
                )
                return redirect("benefits:rule", rule_id=rule.pk)
            except PermissionDenied:
                raise
            except DomainError as exc:
                _form_error(form, exc)
    return render(
        request,
        "benefits/rules.html",
        {"rules": selectors.list_rules(actor=request.user), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def rule_detail(request, rule_id: int):
    rule = get_object_or_404(BenefitRule, pk=rule_id)
    preview = services.preview_rule(actor=request.user, rule=rule)
    return render(
        request,
        "benefits/rule.html",
        {
            "rule": rule,
            "preview": preview,
            "summary": selectors.rule_summary(rule=rule),
            "targets": selectors.state_targets(rule),
        },
    )


@login_required
def rule_edit(request, rule_id: int):
    """Change a draft or paused rule (an enabled one is paused first)."""
    rule = get_object_or_404(BenefitRule, pk=rule_id)
    access.require_rule_manager(request.user, rule)
    form = RuleForm(
        request.POST or None, actor=request.user, initial=initial_from_rule(rule)
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.to_input()
        if data is not None:
            try:
                rule = services.update_rule(actor=request.user, rule=rule, data=data)
                messages.success(request, f"规则“{rule.name}”已修改,请重新预览")
                return redirect("benefits:rule", rule_id=rule.pk)
            except PermissionDenied:
                raise
            except DomainError as exc:
                _form_error(form, exc)
                status = exc.status_code
    return render(
        request,
        "benefits/rule_edit.html",
        {
            "rule": rule,
            "form": form,
            "editable": rule.state in services.EDITABLE_STATES,
        },
        status=status if status != 200 else (400 if form.errors else 200),
    )


@login_required
@require_POST
def rule_state(request, rule_id: int):
    rule = get_object_or_404(BenefitRule, pk=rule_id)
    target = request.POST.get("target", "")
    if target not in RuleState.values:
        access.require_rule_manager(request.user, rule)
        messages.error(request, "请选择要执行的操作")
        return redirect("benefits:rule", rule_id=rule.pk)
    try:
        rule = services.change_rule_state(
            actor=request.user,
            rule=rule,
            target=target,
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, f"规则已{rule.get_state_display()}")
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("benefits:rule", rule_id=rule.pk)

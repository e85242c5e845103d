"""Forms of the account pages."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from quarter.places.models import Compound


class SignUpForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20)
    password = forms.CharField(
        label=_("密码"), widget=forms.PasswordInput, max_length=128
    )


class RealNameForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=40)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, min_length=18)
    compound = forms.ModelChoiceField(
        Compound.objects.select_related("community"), label=_("所住小区")
    )
    address = forms.CharField(
        label=_("门牌号"), max_length=80, help_text=_("如 3幢2单元501")
    )


class LoginForm(AuthenticationForm):
    username = forms.CharField(label=_("手机号或用户名"), max_length=150)

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_forms import PlainTextAdmin
from core.admin_labels import local_time
from core.admin_search import CandidateSearchMixin
from core.audit import audit_log, entries_for
from core.exceptions import DomainError
from core.http import client_ip
from core.validators import PlainTextFormMixin

from . import selectors, services
from .identity import check_id_number, validate_name
from .models import (
    AuthFailure,
    DishonestRecord,
    EducationRecord,
    Gender,
    IdType,
    Institution,
    Qualification,
    SmsMessage,
    User,
)
from .roles import Role, assignable_roles


class EducationInline(PlainTextAdmin, admin.TabularInline):
    model = EducationRecord
    extra = 0
    fields = ("level", "degree", "school", "major", "graduated_on", "certificate_number", "verification_status")


class QualificationInline(PlainTextAdmin, admin.TabularInline):
    model = Qualification
    extra = 0
    fields = ("name", "certificate_number", "issuer", "issued_on")


class IdentityCorrectionForm(PlainTextFormMixin, forms.Form):
    name = forms.CharField(label=_("Real name"), max_length=60)
    id_type = forms.ChoiceField(label=_("ID type"), choices=IdType.choices)
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False)
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_name(self):
        return validate_name(self.cleaned_data["name"])

    def clean(self):
        data = super().clean()
        if data.get("id_type") and data.get("id_number"):
            try:
                facts = check_id_number(data["id_type"], data["id_number"])
            except ValidationError as exc:
                self.add_error("id_number", exc)
            else:
                data["id_number"] = facts.number
                if facts.birth_date:
                    data["gender"], data["birth_date"] = facts.gender, facts.birth_date
        return data


class RolesForm(PlainTextFormMixin, forms.Form):
    """The roles the signed-in user may give or take (分配角色); the others are shown, not offered."""

    roles = forms.MultipleChoiceField(label=_("Roles"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, assignable: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = [(role, Role(role).label) for role in assignable]


class PrivilegesForm(PlainTextFormMixin, forms.Form):
    """Superusers only: superuser status, admin access by hand and direct permissions."""

    is_superuser = forms.BooleanField(label=_("Superuser status"), required=False,
                                      help_text=_("Has every permission without being given it."))
    is_staff = forms.BooleanField(label=_("Admin access"), required=False,
                                  help_text=_("May log in to this admin site. A staff role sets it."))
    permissions = forms.ModelMultipleChoiceField(
        label=_("Direct permissions"), required=False,
        queryset=Permission.objects.select_related("content_type").order_by("content_type__app_label", "codename"),
        widget=FilteredSelectMultiple(_("permissions"), is_stacked=False),
        help_text=_("Given to this person only, on top of their roles."))


def _role_label(name: str) -> str:
    """A role group's name ("association_staff") as the role's label in the interface language."""
    return str(Role(name).label) if name in Role.values else name


class RoleFilter(admin.SimpleListFilter):
    """By role, with the roles' labels (Django's groups filter lists the groups' code names)."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


@admin.register(User)
class UserAdmin(CandidateSearchMixin, PlainTextAdmin, DjangoUserAdmin):
    list_display = ("username", "name", "masked_id", "masked_mobile", "email", "kind", "province", "is_active",
                    "date_joined")
    list_filter = ("kind", "is_staff", "is_active", RoleFilter, "identity_status", "province")
    search_fields = ("username", "name", "email", "mobile")
    candidate_path = ""  # the row is the account
    number_search_fields = ("orders__number", "enrollments__tickets__number")
    ordering = ("-date_joined",)
    readonly_fields = ("name", "id_type", "masked_id", "identity_actions", "gender", "birth_date", "last_login",
                       "date_joined", "access", "direct_permissions",
                       "mobile_verified_at", "agreement_accepted_at", "history")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Identity"), {"fields": ("name", "id_type", "masked_id", "identity_actions", "gender", "birth_date",
                                       "identity_status")}),
        (_("Contact"), {"fields": ("mobile", "mobile_verified_at", "email")}),
        # Roles, admin access and permissions change only on the "Roles and access" page (roles_view).
        (_("Role"), {"fields": ("kind", "institution", "province", "is_active", "access")}),
        (_("History"), {"fields": ("last_login", "date_joined", "agreement_accepted_at", "history")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "name", "kind", "usable_password",
                                                             "password1", "password2")}),)
    inlines = [EducationInline, QualificationInline]

    def save_formset(self, request, form, formset, change):
        """Education and qualification rows, each saved or deleted through its audited service."""
        owner = form.instance
        save, delete, argument = {
            EducationRecord: (services.education_record_save, services.education_record_delete, "record"),
            Qualification: (services.qualification_save, services.qualification_delete, "qualification"),
        }[formset.model]
        for row in formset.save(commit=False):
            subform = next(f for f in formset.forms if f.instance is row)
            data = {name: subform.cleaned_data[name] for name in subform.changed_data if name in subform.cleaned_data}
            stored = type(row).objects.get(pk=row.pk) if row.pk else None  # "before" as stored, not as edited
            save(user=owner, **{argument: stored}, data=data, actor=request.user)
        for removed in formset.deleted_objects:
            try:
                delete(user=owner, **{argument: removed}, actor=request.user)
            except DomainError as exc:
                messages.error(request, f"{removed}: {exc.message}")

    @admin.display(description=_("ID number"))
    def masked_id(self, obj):
        return obj.id_number_masked or "—"

    def save_model(self, request, obj, form, change):
        """An edit goes through the audited service; a new account is audited as created by staff."""
        if not change:
            super().save_model(request, obj, form, change)
            audit_log(actor=request.user, action="user.created_by_staff", obj=obj,
                      after={"username": obj.username, "kind": obj.kind})
            return
        changed = {name: form.cleaned_data[name] for name in form.changed_data if name in services.STAFF_EDITABLE_FIELDS}
        services.user_update_by_staff(actor=request.user, user=obj, changes=changed)

    @admin.display(description=_("Identity actions"))
    def identity_actions(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a>',
            reverse("admin:accounts_user_reveal_id", args=[obj.pk]), _("Show full ID number (audited)"),
            reverse("admin:accounts_user_identity", args=[obj.pk]), _("Correct name or ID"),
        )

    @admin.display(description=_("Mobile number"))
    def masked_mobile(self, obj):
        return obj.mobile_masked

    @admin.display(description=_("Roles and access"))
    def access(self, obj):
        if not obj.pk:
            return "—"
        roles = "、".join(str(Role(role).label) for role in selectors.roles_held(obj)) or "—"
        return format_html("{}: {}<br>{}: {}<br>{}: {}", _("Roles"), roles, _("Admin access"),
                           _("yes") if obj.is_staff else _("no"), _("Superuser status"),
                           _("yes") if obj.is_superuser else _("no"))

    @admin.display(description=_("Direct permissions"))
    def direct_permissions(self, obj):
        names = [f"{p.content_type.app_label}.{p.codename}" for p in
                 obj.user_permissions.select_related("content_type").order_by("content_type__app_label", "codename")]
        return format_html("<br>".join(["{}"] * len(names)), *names) if names else "—"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not request.user.is_superuser:
            return fieldsets
        return [(name, {**options, "fields": (*options["fields"], "direct_permissions")})
                if "access" in options["fields"] else (name, options) for name, options in fieldsets]

    def has_change_permission(self, request, obj=None):
        """Only a superuser changes a superuser's or a staff member's account (its password included)."""
        if obj is not None and not request.user.is_superuser and selectors.user_is_privileged(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and selectors.user_is_privileged(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        if not request.user.is_superuser and any(selectors.user_is_privileged(user) for user in queryset):
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}),
                         "may_assign_roles": request.user.is_superuser or bool(assignable_roles(request.user))}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("Audit history"))
    def history(self, obj):
        rows = entries_for(obj)[:20]
        lines = [f"{local_time(r.created_at)} {r.actor_repr} {r.action} {r.object_repr}" for r in rows]
        return format_html("<br>".join(["{}"] * len(lines)), *lines) if lines else "—"

    def get_queryset(self, request):
        """A provincial authority sees the candidates registered in its province only (SPEC F5)."""
        from core.scoping import province_scope

        queryset = super().get_queryset(request)
        province = province_scope(request.user)
        if province is None:
            return queryset
        return queryset.filter(Q(enrollments__area__province=province) | Q(enrollments__province=province)).distinct()

    def get_urls(self):
        return [
            path("<int:pk>/reveal-id/", self.admin_site.admin_view(self.reveal_id_view),
                 name="accounts_user_reveal_id"),
            path("<int:pk>/identity/", self.admin_site.admin_view(self.identity_view),
                 name="accounts_user_identity"),
            path("<int:pk>/roles/", self.admin_site.admin_view(self.roles_view), name="accounts_user_roles"),
        ] + super().get_urls()

    def reveal_id_view(self, request, pk):
        """Show one full ID number after a confirmation; every reveal is audited."""
        user = get_object_or_404(User, pk=pk)
        number = None
        if request.method == "POST":
            number = services.user_reveal_id_number(viewer=request.user, user=user, ip_address=client_ip(request))
        elif not request.user.has_perm("accounts.view_full_id_number"):
            raise PermissionDenied
        return TemplateResponse(request, "admin/accounts/user/reveal_id.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": user,
            "number": number, "title": _("Full ID number"),
        })

    def identity_view(self, request, pk):
        """Correct a real name or ID (fixed for the user), audited."""
        user = get_object_or_404(User, pk=pk)
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        initial = {"name": user.name, "id_type": user.id_type or IdType.RESIDENT_ID, "gender": user.gender,
                   "birth_date": user.birth_date}
        form = IdentityCorrectionForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                services.user_correct_identity(actor=request.user, user=user, name=d["name"], id_type=d["id_type"],
                                               id_number=d["id_number"], gender=d["gender"],
                                               birth_date=d["birth_date"], ip_address=client_ip(request))
            except DomainError as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(request, _("The identity was corrected."))
                return redirect("admin:accounts_user_change", user.pk)
        return TemplateResponse(request, "admin/accounts/user/identity.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": user, "form": form,
            "title": _("Correct identity"),
        })

    def roles_view(self, request, pk):
        """分配角色: give and take the roles one may assign; superusers also set superuser status, admin
        access and direct permissions. Each change goes through an audited service."""
        actor = request.user
        user = get_object_or_404(User, pk=pk)
        assignable = assignable_roles(actor)
        may_open = assignable and user.pk != actor.pk and not user.is_superuser and (
            actor.has_perm("accounts.assign_staff_roles") or not selectors.user_is_privileged(user))
        if not (actor.is_superuser or may_open):
            raise PermissionDenied
        held = selectors.roles_held(user)
        posted = request.POST if request.method == "POST" else {}
        roles_form = RolesForm(posted if "_roles" in posted else None, assignable=assignable, prefix="roles",
                               initial={"roles": [role for role in held if role in assignable]})
        privileges_form = None
        if actor.is_superuser:
            privileges_form = PrivilegesForm(
                posted if "_privileges" in posted else None, prefix="privileges",
                initial={"is_superuser": user.is_superuser, "is_staff": user.is_staff,
                         "permissions": list(user.user_permissions.all())})
        if "_roles" in posted and roles_form.is_valid():
            chosen = set(roles_form.cleaned_data["roles"])
            try:
                services.user_roles_change(actor=actor, user=user, grant=chosen - set(held),
                                           revoke=set(held) & set(assignable) - chosen, ip_address=client_ip(request))
            except DomainError as exc:
                roles_form.add_error("roles", exc.message)
            else:
                messages.success(request, _("The roles of %(user)s were saved.") % {"user": user})
                return redirect("admin:accounts_user_roles", user.pk)
        elif "_privileges" in posted and privileges_form is not None and privileges_form.is_valid():
            d = privileges_form.cleaned_data
            try:
                services.user_privileges_set(actor=actor, user=user, is_superuser=d["is_superuser"],
                                             is_staff=d["is_staff"], permissions=d["permissions"],
                                             ip_address=client_ip(request))
            except DomainError as exc:
                privileges_form.add_error(exc.field if exc.field in privileges_form.fields else None, exc.message)
            else:
                messages.success(request, _("The admin access of %(user)s was saved.") % {"user": user})
                return redirect("admin:accounts_user_roles", user.pk)
        return TemplateResponse(request, "admin/accounts/user/roles.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": user,
            "title": _("Roles and access"), "roles_form": roles_form, "privileges_form": privileges_form,
            "held": [Role(role).label for role in held], "fixed": [Role(role).label for role in held
                                                                  if role not in assignable],
            "media": self.media + (privileges_form.media if privileges_form else forms.Media()),
        })


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PlainTextAdmin, DjangoGroupAdmin):
    """Role groups carry the permissions of roles.ROLE_PERMISSIONS (set again after every migrate);
    only a superuser adds, changes or deletes a group, whatever permissions others were given."""

    list_display = ("role", "name")

    @admin.display(description=_("role"), ordering="name")
    def role(self, obj):
        return _role_label(obj.name)

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(Institution)
class InstitutionAdmin(PlainTextAdmin, admin.ModelAdmin):
    list_display = ("name", "credit_code", "kind", "province", "contact_phone")
    list_filter = ("kind", "province")
    search_fields = ("name", "credit_code")


@admin.register(AuthFailure)
class AuthFailureAdmin(PlainTextAdmin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "user", "identifier", "ip_address")
    list_filter = ("kind",)
    search_fields = ("identifier", "ip_address")
    readonly_fields = ("created_at", "kind", "user", "identifier", "ip_address")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SmsMessage)
class SmsMessageAdmin(PlainTextAdmin, admin.ModelAdmin):
    list_display = ("created_at", "mobile", "text")
    search_fields = ("mobile",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DishonestRecordForm(PlainTextFormMixin, forms.ModelForm):
    id_number = forms.CharField(label=_("ID number"), max_length=40, required=False,
                                help_text=_("Required for a new entry; stored only as a hash and a masked copy."))

    class Meta:
        model = DishonestRecord
        fields = ["name", "reason", "listed_until", "active"]

    def clean(self):
        data = super().clean()
        if not self.instance.pk and not data.get("id_number"):
            self.add_error("id_number", _("Enter the ID number."))
        return data


@admin.register(DishonestRecord)
class DishonestRecordAdmin(CandidateSearchMixin, PlainTextAdmin, admin.ModelAdmin):
    form = DishonestRecordForm
    list_display = ("name", "id_number_masked", "listed_until", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name",)
    candidate_path = ""  # the record holds the ID number's hash itself
    candidate_fields = ("name",)
    search_help_text = _("Search by name or full ID number.")

    def save_model(self, request, obj, form, change):
        saved = services.dishonest_record_save(
            actor=request.user, id_number=form.cleaned_data.get("id_number", ""), name=obj.name, reason=obj.reason,
            listed_until=obj.listed_until, active=obj.active, record=obj if change else None)
        obj.pk = saved.pk

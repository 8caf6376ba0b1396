"""URLs of contact and company cards."""

from django.urls import path

from voronka.contacts.views import cards as views

urlpatterns = [
    # Contacts.
    path("contacts/new/", views.ContactCreateView.as_view(), name="contact_create"),
    path("contacts/<int:pk>/", views.ContactDetailView.as_view(), name="contact_detail"),
    path("contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(), name="contact_delete"),
    path(
        "contacts/<int:pk>/sections/main/",
        views.ContactMainSectionView.as_view(),
        name="contact_section_main",
    ),
    path(
        "contacts/<int:pk>/sections/communications/",
        views.ContactCommunicationsSectionView.as_view(),
        name="contact_section_communications",
    ),
    path(
        "contacts/<int:pk>/sections/companies/",
        views.ContactCompaniesSectionView.as_view(),
        name="contact_section_companies",
    ),
    path(
        "contacts/<int:pk>/sections/custom/",
        views.ContactCustomFieldsSectionView.as_view(),
        name="contact_section_custom",
    ),
    path(
        "contacts/<int:pk>/companies/pick/",
        views.ContactCompanyPickerView.as_view(),
        name="contact_company_picker",
    ),
    path(
        "contacts/<int:pk>/companies/link/",
        views.ContactCompanyLinkView.as_view(),
        name="contact_company_link",
    ),
    path(
        "contacts/<int:pk>/companies/<int:company_pk>/unlink/",
        views.ContactCompanyUnlinkView.as_view(),
        name="contact_company_unlink",
    ),
    # Companies.
    path("companies/new/", views.CompanyCreateView.as_view(), name="company_create"),
    path("companies/<int:pk>/", views.CompanyDetailView.as_view(), name="company_detail"),
    path("companies/<int:pk>/delete/", views.CompanyDeleteView.as_view(), name="company_delete"),
    path(
        "companies/<int:pk>/sections/main/",
        views.CompanyMainSectionView.as_view(),
        name="company_section_main",
    ),
    path(
        "companies/<int:pk>/sections/communications/",
        views.CompanyCommunicationsSectionView.as_view(),
        name="company_section_communications",
    ),
    path(
        "companies/<int:pk>/sections/requisites/",
        views.CompanyRequisitesSectionView.as_view(),
        name="company_section_requisites",
    ),
    path(
        "companies/<int:pk>/sections/addresses/",
        views.CompanyAddressesSectionView.as_view(),
        name="company_section_addresses",
    ),
    path(
        "companies/<int:pk>/sections/bank-accounts/",
        views.CompanyBankAccountsSectionView.as_view(),
        name="company_section_bank_accounts",
    ),
    path(
        "companies/<int:pk>/sections/contacts/",
        views.CompanyContactsSectionView.as_view(),
        name="company_section_contacts",
    ),
    path(
        "companies/<int:pk>/sections/custom/",
        views.CompanyCustomFieldsSectionView.as_view(),
        name="company_section_custom",
    ),
    path(
        "companies/<int:pk>/contacts/pick/",
        views.CompanyContactPickerView.as_view(),
        name="company_contact_picker",
    ),
    path(
        "companies/<int:pk>/contacts/link/",
        views.CompanyContactLinkView.as_view(),
        name="company_contact_link",
    ),
    path(
        "companies/<int:pk>/contacts/<int:contact_pk>/unlink/",
        views.CompanyContactUnlinkView.as_view(),
        name="company_contact_unlink",
    ),
]

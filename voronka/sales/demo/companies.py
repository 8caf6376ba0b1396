"""Client companies of all four types with valid requisites, addresses and bank accounts."""

from voronka.contacts.models import (
    AddressKind,
    BankAccount,
    CommunicationKind,
    CommunicationValueType,
    Company,
    CompanyAddress,
    CompanyType,
)
from voronka.core.normalization import company_name_key
from voronka.sales.demo import requisites
from voronka.sales.demo.catalogues import INDUSTRIES
from voronka.sales.demo.communications import communication, landline_phone
from voronka.sales.demo.context import DemoContext
from voronka.sales.demo.feed import created_entry
from voronka.sales.demo.names import (
    LEGAL_FORMS,
    REGIONS,
    STREETS,
    SURNAMES,
    random_company_word,
    random_person,
    transliterate,
)
from voronka.sales.demo.writer import BATCH_SIZE, BulkWriter, Row, new_row

COMPANY_TYPES = (
    (CompanyType.LEGAL_ENTITY, 65),
    (CompanyType.SOLE_PROPRIETOR, 25),
    (CompanyType.INDIVIDUAL, 6),
    (CompanyType.FAMILY, 4),
)
BUSINESS_TYPES = (CompanyType.LEGAL_ENTITY, CompanyType.SOLE_PROPRIETOR)
INDUSTRY_CODES = [code for code, _label in INDUSTRIES]


def family_title(surname: str) -> str:
    """Семья Ивановых, Семья Ильиных; surnames that do not decline stay as they are."""
    if surname.endswith(("ов", "ёв", "ев", "ин", "ын")):
        return f"Семья {surname}ых"
    return f"Семья {surname}"


class CompanyMaker:
    def __init__(self, context: DemoContext, writer: BulkWriter) -> None:
        self.context = context
        self.writer = writer
        self.rng = context.rng
        self.card_type = context.content_types["company"]
        self.used_inns: set[str] = set()
        self.type_choices = [kind for kind, _weight in COMPANY_TYPES]
        self.type_weights = [weight for _kind, weight in COMPANY_TYPES]
        self.form_weights = [weight for _short, _full, weight in LEGAL_FORMS]
        self.made = 0

    def run(self, count: int) -> None:
        for start in range(0, count, BATCH_SIZE):
            drafts = [self._draft() for _ in range(min(BATCH_SIZE, count - start))]
            companies = self.writer.save_now([company for company, _extra in drafts])
            for company, (_draft, extra) in zip(companies, drafts, strict=True):
                self._details(company, *extra)

    def _unique_inn(self, make) -> str:
        while True:
            number = make()
            if number not in self.used_inns:
                self.used_inns.add(number)
                return number

    def _draft(self) -> tuple[Company, tuple]:
        rng, context = self.rng, self.context
        if self.made < len(self.type_choices):
            # The first companies show each type once, so even a tiny demo has all four.
            company_type = self.type_choices[self.made]
        else:
            company_type = rng.choices(self.type_choices, self.type_weights)[0]
        self.made += 1
        region = rng.choice(REGIONS)
        person = random_person(rng)
        company = Company(
            company_type=company_type,
            responsible_id=rng.choice(context.team.sales_manager_ids),
            source_id=rng.choice(list(context.source_ids.values())),
            created_at=context.working_time(context.days_ago(rng.uniform(60, 730))),
            custom_fields={},
        )
        company.created_by_id = company.responsible_id
        domain = ""
        if company_type == CompanyType.LEGAL_ENTITY:
            short_form, full_form, _weight = rng.choices(LEGAL_FORMS, self.form_weights)[0]
            word = random_company_word(rng)
            company.title = company.short_name = f'{short_form} "{word}"'
            company.full_name = f'{full_form} "{word}"'
            company.inn = self._unique_inn(lambda: requisites.company_inn(rng, region[0]))
            company.kpp = requisites.kpp_for(company.inn)
            company.ogrn = requisites.ogrn(rng, company.inn)
            company.director = person.full_name
            company.employees_count = rng.choice((5, 12, 25, 40, 80, 150, 300, 1200))
            domain = transliterate(word)
            if rng.random() < 0.3:
                domain += "-" + transliterate(region[3])[:4]
            domain += rng.choice((".ru", ".ru", ".ru", ".com", ".su"))
        elif company_type == CompanyType.SOLE_PROPRIETOR:
            company.title = company.short_name = f"ИП {person.initials_name}"
            company.full_name = f"Индивидуальный предприниматель {person.full_name}"
            company.inn = self._unique_inn(lambda: requisites.personal_inn(rng, region[0]))
            company.ogrn = requisites.ogrnip(rng, company.inn)
            company.director = person.full_name
            company.employees_count = rng.choice((1, 2, 3, 5, 8))
        elif company_type == CompanyType.FAMILY:
            company.title = family_title(rng.choice(SURNAMES))
        else:
            company.title = person.full_name
            if rng.random() < 0.3:
                company.inn = self._unique_inn(lambda: requisites.personal_inn(rng, region[0]))
        # The services keep this key; bulk-written rows get it here.
        company.title_key = company_name_key(company.title)[:255]
        if company_type in BUSINESS_TYPES:
            company.custom_fields["industry_sphere"] = rng.choice(INDUSTRY_CODES)
            if rng.random() < 0.1:
                company.custom_fields["key_client"] = True
        return company, (region, domain)

    def _details(self, company: Company, region: tuple, domain: str) -> None:
        rng, context, writer = self.rng, self.context, self.writer
        context.company_ids.append(company.pk)
        if company.company_type in BUSINESS_TYPES:
            context.business_company_indexes.append(len(context.company_ids) - 1)
        context.company_domains.append(domain)
        context.company_created.append(company.created_at.timestamp())
        writer.add(
            created_entry(self.card_type, company.pk, company.created_by_id, company.created_at)
        )
        self._communications(company, region, domain)
        if company.company_type not in BUSINESS_TYPES:
            return
        self._addresses(company, region)
        if rng.random() < 0.85:
            self._bank_accounts(company)

    def _communications(self, company: Company, region: tuple, domain: str) -> None:
        rng, card_type = self.rng, self.card_type
        rows = []
        if rng.random() < 0.9:
            rows.append(
                communication(
                    card_type,
                    company.pk,
                    CommunicationKind.PHONE,
                    CommunicationValueType.WORK,
                    landline_phone(rng, region[4]),
                    0,
                )
            )
        if domain and rng.random() < 0.7:
            address = f"{rng.choice(('info', 'office', 'sales', 'mail'))}@{domain}"
            rows.append(
                communication(
                    card_type,
                    company.pk,
                    CommunicationKind.EMAIL,
                    CommunicationValueType.WORK,
                    (address, address),
                    1,
                )
            )
        if domain and rng.random() < 0.6:
            typed = rng.choice((f"https://{domain}", f"www.{domain}", domain, f"https://{domain}/"))
            rows.append(
                communication(
                    card_type,
                    company.pk,
                    CommunicationKind.WEB,
                    CommunicationValueType.WORK,
                    (typed, domain),
                    2,
                )
            )
        self.writer.add_all(rows)

    def _address(self, company: Company, kind: str, region: tuple) -> Row:
        rng = self.rng
        _tax_region, postal_prefix, region_name, city, _area = region
        postal_code = postal_prefix + "".join(
            str(rng.randrange(10)) for _ in range(6 - len(postal_prefix))
        )
        street = f"{rng.choice(STREETS)}, д. {rng.randint(1, 150)}"
        if rng.random() < 0.3:
            street += f", стр. {rng.randint(1, 9)}"
        if rng.random() < 0.6:
            street += f", офис {rng.randint(1, 12)}{rng.randint(1, 40):02d}"
        return new_row(
            CompanyAddress,
            company=company,
            kind=kind,
            postal_code=postal_code,
            region=region_name,
            city=city,
            street_address=street,
        )

    def _addresses(self, company: Company, region: tuple) -> None:
        rng = self.rng
        is_legal = company.company_type == CompanyType.LEGAL_ENTITY
        kinds = [AddressKind.LEGAL if is_legal else AddressKind.REGISTRATION]
        if rng.random() < 0.4:
            kinds.append(AddressKind.POSTAL)
        if rng.random() < 0.3:
            kinds.append(AddressKind.ACTUAL)
        if rng.random() < 0.1:
            kinds.append(AddressKind.DELIVERY)
        # Offices are usually in the city of registration, sometimes elsewhere.
        for kind in kinds:
            place = region if kind != AddressKind.DELIVERY else rng.choice(REGIONS)
            self.writer.add(self._address(company, kind, place))

    def _bank_accounts(self, company: Company) -> None:
        rng = self.rng
        sole_proprietor = company.company_type == CompanyType.SOLE_PROPRIETOR
        banks = rng.sample(requisites.BANKS, 2 if rng.random() < 0.15 else 1)
        for index, bank in enumerate(banks):
            self.writer.add(
                new_row(
                    BankAccount,
                    company=company,
                    bank_name=bank.name,
                    bic=bank.bic,
                    account_number=requisites.settlement_account(
                        rng, bank.bic, sole_proprietor=sole_proprietor
                    ),
                    correspondent_account=bank.correspondent_account,
                    is_primary=index == 0,
                )
            )


def create_companies(context: DemoContext, writer: BulkWriter) -> None:
    CompanyMaker(context, writer).run(context.options.company_count)

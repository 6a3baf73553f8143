"""The enterprise registry as plain records: what import files hold, what the tagger reads.

Independent of the database so tagging can run from a JSON file (``ipsentry tag``) as well
as from the stored registry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Brand(BaseModel):
    text: str
    classes: list[int] = Field(default_factory=list)  # Nice classes; empty = any class
    registrations: list[str] = Field(default_factory=list)
    romanisations: list[str] = Field(default_factory=list)


class EnterpriseRecord(BaseModel):
    """One registered enterprise (备案主体).  ``id`` is the registry's numeric id once stored;
    ``external_id`` is the id the import file uses."""

    model_config = ConfigDict(extra="ignore")

    id: int | None = None
    external_id: str
    name_zh: str | None = None
    names_en: list[str] = Field(default_factory=list)
    former_names: list[str] = Field(default_factory=list)
    abbreviations: list[str] = Field(default_factory=list)
    brands: list[Brand] = Field(default_factory=list)
    stores: list[str] = Field(default_factory=list)
    seller_ids: list[str] = Field(default_factory=list)
    subsidiaries: list[str] = Field(default_factory=list)
    region_province: str | None = None
    region_city: str | None = None
    industries: list[str] = Field(default_factory=list)
    contact_email: str | None = None

    @field_validator("brands", mode="before")
    @classmethod
    def _brands_from_strings(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"text": item} if isinstance(item, str) else item for item in value]
        return value

    @property
    def all_names(self) -> list[str]:
        """Every name the enterprise goes by (for party matching), Chinese first."""
        names = [self.name_zh] if self.name_zh else []
        return names + self.names_en + self.former_names + self.abbreviations + self.subsidiaries

    @property
    def display_name(self) -> str:
        return self.name_zh or (self.names_en[0] if self.names_en else self.external_id)

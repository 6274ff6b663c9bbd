from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from core.specs import options as o
from core.specs import services
from core.specs.models import Specification, SpecificationVersion
from schema.base import ModelNode
from schema.context import Info
from schema.loaders import loader

SpecBackgroundKind = strawberry.enum(o.BackgroundKind, name="SpecBackgroundKind")
CropKind = strawberry.enum(o.CropKind, name="CropKind")
MarginUnit = strawberry.enum(o.MarginUnit, name="MarginUnit")
VerticalAlignment = strawberry.enum(o.Alignment, name="VerticalAlignment")
SizeMode = strawberry.enum(o.SizeMode, name="SizeMode")
OutputFormat = strawberry.enum(o.OutputFormat, name="OutputFormat")
ColourProfile = strawberry.enum(o.ColourProfile, name="ColourProfile")
ShadowKind = strawberry.enum(o.Shadow, name="ShadowKind")
RetouchLevel = strawberry.enum(o.Retouch, name="RetouchLevel")
Turnaround = strawberry.enum(o.Turnaround, name="Turnaround")


@strawberry.type
class SpecBackground:
    kind: SpecBackgroundKind
    colour: str | None


@strawberry.type
class SpecCrop:
    kind: CropKind
    aspect_width: int | None
    aspect_height: int | None
    width: int | None
    height: int | None


@strawberry.type
class SpecMargins:
    unit: MarginUnit
    top: float
    right: float
    bottom: float
    left: float


@strawberry.type
class SpecOutputSize:
    mode: SizeMode
    width: int | None
    height: int | None


@strawberry.type(description="How the images are edited (DOMAIN.md, Specification).")
class SpecificationOptions:
    background: SpecBackground
    crop: SpecCrop
    margins: SpecMargins
    alignment: VerticalAlignment
    size: SpecOutputSize
    formats: list[OutputFormat]
    quality: int
    max_file_bytes: int | None
    dpi: int
    colour_profile: ColourProfile
    shadow: ShadowKind
    keep_original_shadow: bool
    retouch: RetouchLevel
    clipping_path: bool
    turnaround: Turnaround

    @classmethod
    def from_options(cls, x: o.SpecOptions) -> "SpecificationOptions":
        return cls(
            background=SpecBackground(kind=x.background.kind, colour=x.background.colour),
            crop=SpecCrop(**x.crop.model_dump()), margins=SpecMargins(**x.margins.model_dump()),
            alignment=x.alignment, size=SpecOutputSize(**x.size.model_dump()), formats=list(x.formats),
            quality=x.quality, max_file_bytes=x.max_file_bytes, dpi=x.dpi, colour_profile=x.colour_profile,
            shadow=x.shadow, keep_original_shadow=x.keep_original_shadow, retouch=x.retouch,
            clipping_path=x.clipping_path, turnaround=x.turnaround,
        )


@strawberry.type(description="One version of a specification. A paid order locks it: editing the "
                             "specification then makes a new version.")
class SpecificationVersionType:
    number: int
    locked: bool
    created_at: datetime
    options: SpecificationOptions

    @classmethod
    def from_model(cls, v: SpecificationVersion) -> "SpecificationVersionType":
        return cls(number=v.number, locked=v.locked, created_at=v.created_at,
                   options=SpecificationOptions.from_options(services.options_of(v)))


SpecificationVersionType.__strawberry_definition__.name = "SpecificationVersion"


@strawberry.type(name="Specification", description="A saved, named editing recipe of the account.")
class SpecificationNode(ModelNode):
    id: relay.NodeID[int]
    name: str
    archived_at: datetime | None = strawberry.field(description="Deleted while orders used it: kept for them.")
    created_at: datetime
    updated_at: datetime
    version_id: strawberry.Private[int]

    @strawberry.field(description="The version new orders get.")
    async def current_version(self, info: Info) -> SpecificationVersionType:
        return SpecificationVersionType.from_model(
            await loader(info, "specification_version_by_id", SpecificationVersion).load(self.version_id))

    @classmethod
    def visible(cls, user):
        return services.visible_specifications(user, include_archived=True)

    @classmethod
    def from_model(cls, s: Specification) -> "SpecificationNode":
        return cls(id=s.id, name=s.name, archived_at=s.archived_at, created_at=s.created_at, updated_at=s.updated_at,
                   version_id=s.current_version_id)

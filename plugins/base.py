"""What a platform plugin implements. The port itself is defined in ``core.connectors``
(core's services call it, and core never imports a plugin); it is re-exported here
so a plugin author finds it where the architecture says.

A plugin registers its connector class under the ``pixport.connectors`` entry-point
group in pyproject.toml; the class may also offer ``http_routes()``: the starlette
routes the platform calls (app install, load, webhooks), mounted by the API.
"""

from core.connectors import (  # noqa: F401 - re-exported
    ENTRY_POINT_GROUP,
    Connector,
    ConnectorError,
    ConnectorErrorCode,
    ExternalImage,
    ExternalProduct,
    ImageUpload,
    Page,
    StoreAccess,
    StoreInfo,
    connector_class,
    factories,
)

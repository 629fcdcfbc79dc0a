"""Request and response shapes of the INDIGO-compatible API (field names are INDIGO's)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Sane maxima: every number a request gives is one the database, the deadlines and
# the scheduler can hold (an unbounded integer failed the database write, as a 500).
MAX_TIMEOUT_MINS = 30 * 24 * 60  # thirty days
MAX_PROVIDERS_RETRY = 100
MAX_URL = 2048
MAX_NAME = 255


class DeploymentRequest(BaseModel):
    """Body of ``POST /deployments``; unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid")

    template: str = Field(min_length=1, description="The TOSCA template, as text")
    parameters: dict[str, Any] | None = Field(default=None, description="Template inputs")
    callback: str | None = Field(
        default=None, max_length=MAX_URL, description="URL notified at a final status"
    )
    timeoutMins: int | None = Field(default=None, ge=1, le=MAX_TIMEOUT_MINS)
    providerTimeoutMins: int | None = Field(default=None, ge=1, le=MAX_TIMEOUT_MINS)
    maxProvidersRetry: int | None = Field(default=None, ge=1, le=MAX_PROVIDERS_RETRY)
    # orchent sends it as the string "true"/"false"; pydantic accepts both.
    keepLastAttempt: bool = False
    userGroup: str | None = Field(default=None, max_length=MAX_NAME)
    # cumulo's own: the site to deploy on (the dashboard's "Manual" scheduling).
    site: str | None = Field(
        default=None, min_length=1, max_length=MAX_NAME, description="Deploy on this site only"
    )

    @field_validator("callback")
    @classmethod
    def _callback_is_http(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v

    @model_validator(mode="after")
    def _provider_timeout(self) -> DeploymentRequest:
        if (
            self.timeoutMins is not None
            and self.providerTimeoutMins is not None
            and self.providerTimeoutMins > self.timeoutMins
        ):
            raise ValueError("ProviderTimeout must be <= Timeout")
        return self


class DeploymentUpdateRequest(DeploymentRequest):
    """Body of ``PUT /deployments/{id}``: what is not given stays as stored."""

    template: str | None = Field(  # type: ignore[assignment]
        default=None, min_length=1, description="The new TOSCA template (default: unchanged)"
    )
    keepLastAttempt: bool | None = None  # type: ignore[assignment]

    @field_validator("userGroup")
    @classmethod
    def _group_is_fixed(cls, v: str | None) -> str | None:
        if v is not None:
            raise ValueError("the group of a deployment cannot be changed by an update")
        return v


class Link(BaseModel):
    rel: str
    href: str


class CreatedBy(BaseModel):
    issuer: str
    subject: str


class CloudProviderEndpoint(BaseModel):
    cpEndpoint: str | None = None
    cpComputeServiceId: str | None = None
    region: str | None = None
    deploymentType: str | None = None


class DeploymentOut(BaseModel):
    uuid: str
    creationTime: str = Field(examples=["2016-10-12T07:02+0000"])
    updateTime: str
    physicalId: str | None = None
    status: str
    statusReason: str | None = None
    outputs: dict[str, Any]
    task: str | None = None
    callback: str | None = None
    userGroup: str | None = None
    cloudProviderName: str | None = None
    cloudProviderEndpoint: CloudProviderEndpoint | None = None
    createdBy: CreatedBy
    links: list[Link]


class ResourceOut(BaseModel):
    uuid: str
    creationTime: str
    updateTime: str
    physicalId: str | None = None
    state: str
    toscaNodeType: str
    toscaNodeName: str
    requiredBy: list[str]
    metadata: dict[str, Any]
    links: list[Link]


class PageInfo(BaseModel):
    size: int
    totalElements: int
    totalPages: int
    number: int


class DeploymentPage(BaseModel):
    links: list[Link]
    content: list[DeploymentOut]
    page: PageInfo


class ResourcePage(BaseModel):
    links: list[Link]
    content: list[ResourceOut]
    page: PageInfo


class ErrorOut(BaseModel):
    code: int
    title: str
    message: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 404, 409, 415)
}

"""OICP 2.3 payloads the bridge sends and receives (oicp-bridge.md §4), as pydantic models.

Python names are snake_case; the wire names are the aliases, spelled exactly as OICP does. Both
spellings of the fields the OICP documents disagree on (§4.12) are accepted when parsing; the
first one listed there is emitted. `wire(model)` gives the JSON-ready dict to send; parse received
bodies with `Model.model_validate(body)`. Unknown wire fields are ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    model_validator,
)

__all__ = [
    "Acknowledgement",
    "ActionType",
    "AdditionalReference",
    "Address",
    "AuthenticationDataRecord",
    "AuthorizationStart",
    "AuthorizationStop",
    "AuthorizeRemoteReservationStart",
    "AuthorizeRemoteReservationStop",
    "AuthorizeRemoteStart",
    "AuthorizeRemoteStop",
    "AuthorizeStart",
    "AuthorizeStop",
    "CalibrationLawVerificationInfo",
    "ChargeDetailRecord",
    "ChargingFacility",
    "ChargingNotification",
    "ChargingNotificationEnd",
    "ChargingNotificationError",
    "ChargingNotificationProgress",
    "ChargingNotificationStart",
    "DecimalDegree",
    "EnergySource",
    "EnvironmentalImpact",
    "EvseDataPage",
    "EvseDataRecord",
    "EvsePricing",
    "EvseStatusRecord",
    "GeoCoordinates",
    "GoogleCoordinates",
    "Identification",
    "InfoText",
    "MeterValueInBetween",
    "OpeningTimes",
    "OperatorEvseData",
    "OperatorEvseStatus",
    "Period",
    "PricingProductData",
    "PricingProductDataRecord",
    "ProductAvailabilityTimes",
    "ProviderAuthenticationData",
    "PullEvseDataRecord",
    "PushAuthenticationData",
    "PushEvseData",
    "PushEvsePricing",
    "PushEvseStatus",
    "PushPricingProductData",
    "QRCodeIdentification",
    "RFIDIdentification",
    "RFIDMifareFamilyIdentification",
    "RfidType",
    "EvcoIdentification",
    "SignedMeteringValue",
    "StatusCode",
    "parse_charging_notification",
    "wire",
]


def _wire_time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# OICP date-times carry the charge point's UTC offset and no fractions: `YYYY-MM-DDThh:mm:ss+hh:mm`
OicpDateTime = Annotated[AwareDatetime, PlainSerializer(_wire_time, return_type=str, when_used="json")]

ActionType = Literal["fullLoad", "update", "insert", "delete"]
PowerType = Literal["AC_1_PHASE", "AC_3_PHASE", "DC"]
ChargingMode = Literal["Mode_1", "Mode_2", "Mode_3", "Mode_4", "CHAdeMO"]
EvseStatus = Literal["Available", "Reserved", "Occupied", "OutOfService", "EvseNotFound", "Unknown"]
ReferenceUnit = Literal["HOUR", "KILOWATT_HOUR", "MINUTE"]
AdditionalReferenceType = Literal["START FEE", "FIXED FEE", "PARKING FEE", "MINIMUM FEE", "MAXIMUM FEE"]
Weekday = Literal[
    "Everyday", "Workdays", "Weekend", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
]
AuthorizationStatus = Literal["Authorized", "NotAuthorized"]
RfidType = Literal["mifareCls", "mifareDes", "calypso", "nfc", "mifareFamily"]


def _error_type(value: Any) -> Any:
    """The asciidoc spells `Connector Error` / `Critical Error`, the OpenAPI file without the space."""
    return value.replace(" ", "") if isinstance(value, str) else value


ErrorType = Annotated[Literal["ConnectorError", "CriticalError"], BeforeValidator(_error_type)]


def _either(*names: str, optional: bool = True) -> Any:
    """A field read under any of `names` and written under the first (None by default if optional)."""
    if optional:
        return Field(None, validation_alias=AliasChoices(*names), serialization_alias=names[0])
    return Field(validation_alias=AliasChoices(*names), serialization_alias=names[0])


class OicpModel(BaseModel):
    """Base of every OICP payload: wire aliases, construction by Python name, extra fields ignored."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True, extra="ignore")


def wire(model: BaseModel) -> dict[str, Any]:
    """The JSON-ready body of an OICP message (aliases, no null fields)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


# ---- common ------------------------------------------------------------------------------------


class StatusCode(OicpModel):
    code: str = Field(alias="Code")
    description: str | None = Field(None, alias="Description", max_length=200)
    additional_info: str | None = Field(None, alias="AdditionalInfo", max_length=1000)


class Acknowledgement(OicpModel):
    """eRoamingAcknowledgement: Result true = received and performed."""

    result: bool = Field(alias="Result")
    status_code: StatusCode = Field(alias="StatusCode")
    session_id: str | None = Field(None, alias="SessionID")
    cpo_partner_session_id: str | None = Field(None, alias="CPOPartnerSessionID", max_length=250)
    emp_partner_session_id: str | None = Field(None, alias="EMPPartnerSessionID", max_length=250)


class InfoText(OicpModel):
    lang: str = Field(alias="lang")
    value: str = Field(alias="value", max_length=150)


# ---- identification ----------------------------------------------------------------------------


class RFIDMifareFamilyIdentification(OicpModel):
    uid: str = Field(alias="UID")


class RFIDIdentification(OicpModel):
    uid: str = Field(alias="UID")
    rfid: RfidType = Field(alias="RFID")
    evco_id: str | None = Field(None, alias="EvcoID")
    printed_number: str | None = Field(None, alias="PrintedNumber", max_length=150)
    expiry_date: OicpDateTime | None = Field(None, alias="ExpiryDate")


class QRCodeIdentification(OicpModel):
    evco_id: str = Field(alias="EvcoID")
    pin: str | None = Field(None, alias="PIN", max_length=20)
    hashed_pin: dict[str, Any] | None = Field(None, alias="HashedPIN")


class EvcoIdentification(OicpModel):
    """The body of PlugAndChargeIdentification and RemoteIdentification: just an EvcoID."""

    evco_id: str = Field(alias="EvcoID")


class Identification(OicpModel):
    """IdentificationType: exactly one of the five options."""

    rfid_mifare_family: RFIDMifareFamilyIdentification | None = Field(None, alias="RFIDMifareFamilyIdentification")
    rfid: RFIDIdentification | None = Field(None, alias="RFIDIdentification")
    qr_code: QRCodeIdentification | None = Field(None, alias="QRCodeIdentification")
    plug_and_charge: EvcoIdentification | None = Field(None, alias="PlugAndChargeIdentification")
    remote: EvcoIdentification | None = Field(None, alias="RemoteIdentification")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        chosen = [self.rfid_mifare_family, self.rfid, self.qr_code, self.plug_and_charge, self.remote]
        if sum(option is not None for option in chosen) != 1:
            raise ValueError("Identification needs exactly one identification option")
        return self


# ---- EVSE data ---------------------------------------------------------------------------------


class Address(OicpModel):
    country: str = Field(alias="Country", min_length=3, max_length=3)
    city: str = Field(alias="City", min_length=1, max_length=50)
    street: str = Field(alias="Street", min_length=2, max_length=100)
    postal_code: str = Field(alias="PostalCode", max_length=10)
    house_num: str = Field(alias="HouseNum", max_length=10)
    floor: str | None = Field(None, alias="Floor", max_length=5)
    region: str | None = Field(None, alias="Region", max_length=50)
    parking_facility: bool | None = Field(None, alias="ParkingFacility")
    parking_spot: str | None = Field(None, alias="ParkingSpot", max_length=5)
    time_zone: str | None = Field(None, alias="TimeZone", pattern=r"^UTC[+-][0-9]{2}:[0-9]{2}$")


class DecimalDegree(OicpModel):
    longitude: str = Field(alias="Longitude")
    latitude: str = Field(alias="Latitude")


class GoogleCoordinates(OicpModel):
    coordinates: str = Field(alias="Coordinates")


class GeoCoordinates(OicpModel):
    """Exactly one of the three formats; the bridge emits DecimalDegree."""

    google: GoogleCoordinates | None = Field(None, alias="Google")
    decimal_degree: DecimalDegree | None = Field(None, alias="DecimalDegree")
    degree_minute_seconds: DecimalDegree | None = Field(None, alias="DegreeMinuteSeconds")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if sum(f is not None for f in (self.google, self.decimal_degree, self.degree_minute_seconds)) != 1:
            raise ValueError("GeoCoordinates needs exactly one format")
        return self


class ChargingFacility(OicpModel):
    power_type: PowerType = Field(alias="PowerType")
    voltage: int | None = Field(None, alias="Voltage", ge=0, le=999)
    amperage: int | None = Field(None, alias="Amperage", ge=0, le=99)
    power: int = Field(alias="Power", ge=0, le=999)
    charging_modes: list[ChargingMode] | None = Field(None, alias="ChargingModes")


class EnergySource(OicpModel):
    energy: str = Field(alias="Energy")
    percentage: int | None = Field(None, alias="Percentage", ge=0, le=99)


class EnvironmentalImpact(OicpModel):
    co2_emission: float | None = Field(None, alias="CO2Emission", le=99999)
    nuclear_waste: float | None = Field(None, alias="NuclearWaste", le=99999)


class Period(OicpModel):
    begin: str = Field(alias="begin", pattern=r"^[0-9]{2}:[0-9]{2}$")
    end: str = Field(alias="end", pattern=r"^[0-9]{2}:[0-9]{2}$")


class OpeningTimes(OicpModel):
    period: list[Period] = Field(alias="Period")
    on: Weekday = Field(alias="on")


class EvseDataRecord(OicpModel):
    """One EVSE with its site data (EvseDataRecordType)."""

    delta_type: Literal["update", "insert", "delete"] | None = Field(None, alias="deltaType")
    last_update: OicpDateTime | None = Field(None, alias="lastUpdate")
    evse_id: str = Field(alias="EvseID")
    charging_pool_id: str | None = Field(None, alias="ChargingPoolID")
    charging_station_id: str | None = _either("ChargingStationId", "ChargingStationID")
    charging_station_names: list[InfoText] = Field(alias="ChargingStationNames")
    hardware_manufacturer: str | None = Field(None, alias="HardwareManufacturer", max_length=50)
    charging_station_image: str | None = Field(None, alias="ChargingStationImage", max_length=200)
    sub_operator_name: str | None = Field(None, alias="SubOperatorName", max_length=100)
    address: Address = Field(alias="Address")
    geo_coordinates: GeoCoordinates = Field(alias="GeoCoordinates")
    plugs: list[str] = Field(alias="Plugs")
    dynamic_power_level: bool | None = Field(None, alias="DynamicPowerLevel")
    charging_facilities: list[ChargingFacility] = Field(alias="ChargingFacilities")
    renewable_energy: bool = Field(alias="RenewableEnergy")
    energy_source: list[EnergySource] | None = Field(None, alias="EnergySource")
    environmental_impact: EnvironmentalImpact | None = Field(None, alias="EnvironmentalImpact")
    calibration_law_data_availability: Literal["Local", "External", "Not Available"] = Field(
        alias="CalibrationLawDataAvailability"
    )
    authentication_modes: list[str] = Field(alias="AuthenticationModes")
    max_capacity: int | None = Field(None, alias="MaxCapacity")
    payment_options: list[Literal["No Payment", "Direct", "Contract"]] = Field(alias="PaymentOptions")
    value_added_services: list[str] = Field(alias="ValueAddedServices")
    accessibility: str | None = Field(alias="Accessibility")  # null in pulls of 2.2 `Unspecified` data
    accessibility_location: Literal["OnStreet", "ParkingLot", "ParkingGarage", "UndergroundParkingGarage"] | None = (
        Field(None, alias="AccessibilityLocation")
    )
    hotline_phone_number: str = Field(alias="HotlinePhoneNumber", pattern=r"^\+[0-9]{5,15}$")
    additional_info: list[InfoText] | None = Field(None, alias="AdditionalInfo")
    charging_station_location_reference: list[InfoText] | None = Field(None, alias="ChargingStationLocationReference")
    geo_charging_point_entrance: GeoCoordinates | None = Field(None, alias="GeoChargingPointEntrance")
    is_open_24_hours: bool = Field(alias="IsOpen24Hours")
    opening_times: list[OpeningTimes] | None = Field(None, alias="OpeningTimes")
    hub_operator_id: str | None = Field(None, alias="HubOperatorID")
    clearinghouse_id: str | None = Field(None, alias="ClearinghouseID", max_length=20)
    is_hubject_compatible: bool = Field(alias="IsHubjectCompatible")
    dynamic_info_available: Literal["true", "false", "auto"] = Field(alias="DynamicInfoAvailable")


class PullEvseDataRecord(EvseDataRecord):
    """A record of a PullEvseData page: the 2.3 form carries its operator on each record."""

    operator_id: str = Field(alias="OperatorID")
    operator_name: str = Field(alias="OperatorName")


class OperatorEvseData(OicpModel):
    operator_id: str = Field(alias="OperatorID")
    operator_name: str = Field(alias="OperatorName", max_length=100)
    evse_data_record: list[EvseDataRecord] = Field(alias="EvseDataRecord")


class PushEvseData(OicpModel):
    action_type: ActionType = Field(alias="ActionType")
    operator_evse_data: OperatorEvseData = Field(alias="OperatorEvseData")


class EvseDataPage(OicpModel):
    """eRoamingEVSEData: one Spring-style page of PullEvseData."""

    content: list[PullEvseDataRecord] = Field(alias="content")
    number: int = Field(alias="number")
    size: int = Field(alias="size")
    total_elements: int = Field(alias="totalElements")
    total_pages: int = Field(alias="totalPages")
    first: bool = Field(alias="first")
    last: bool = Field(alias="last")
    number_of_elements: int = Field(alias="numberOfElements")
    status_code: StatusCode | None = Field(None, alias="StatusCode")


# ---- EVSE status -------------------------------------------------------------------------------


class EvseStatusRecord(OicpModel):
    evse_id: str = Field(alias="EvseID")
    evse_status: EvseStatus = Field(alias="EvseStatus")


class OperatorEvseStatus(OicpModel):
    operator_id: str = Field(alias="OperatorID")
    operator_name: str | None = Field(None, alias="OperatorName", max_length=100)
    evse_status_record: list[EvseStatusRecord] = Field(alias="EvseStatusRecord")


class PushEvseStatus(OicpModel):
    action_type: ActionType = Field(alias="ActionType")
    operator_evse_status: OperatorEvseStatus = Field(alias="OperatorEvseStatus")


# ---- dynamic pricing ---------------------------------------------------------------------------


class ProductAvailabilityTimes(OicpModel):
    periods: list[Period] = _either("Periods", "Period", optional=False)
    on: Weekday = Field(alias="on")


class AdditionalReference(OicpModel):
    additional_reference: AdditionalReferenceType = Field(alias="AdditionalReference")
    additional_reference_unit: ReferenceUnit = Field(alias="AdditionalReferenceUnit")
    price_per_additional_reference_unit: float = Field(alias="PricePerAdditionalReferenceUnit")


class PricingProductDataRecord(OicpModel):
    product_id: str = Field(alias="ProductID", min_length=1, max_length=50)
    reference_unit: ReferenceUnit = Field(alias="ReferenceUnit")
    product_price_currency: str = Field(alias="ProductPriceCurrency")
    price_per_reference_unit: float = Field(alias="PricePerReferenceUnit")
    maximum_product_charging_power: float = Field(alias="MaximumProductChargingPower")
    is_valid_24_hours: bool = Field(alias="IsValid24hours")
    product_availability_times: list[ProductAvailabilityTimes] = Field(alias="ProductAvailabilityTimes")
    additional_references: list[AdditionalReference] | None = Field(None, alias="AdditionalReferences")


class PricingProductData(OicpModel):
    operator_id: str = Field(alias="OperatorID")
    operator_name: str | None = Field(None, alias="OperatorName", max_length=100)
    provider_id: str = Field(alias="ProviderID")  # a ProviderID, or `*` for every EMP
    pricing_default_price: float = Field(alias="PricingDefaultPrice")
    pricing_default_price_currency: str = Field(alias="PricingDefaultPriceCurrency")
    pricing_default_reference_unit: ReferenceUnit = Field(alias="PricingDefaultReferenceUnit")
    pricing_product_data_records: list[PricingProductDataRecord] = Field(alias="PricingProductDataRecords")


class PushPricingProductData(OicpModel):
    action_type: ActionType = Field(alias="ActionType")
    pricing_product_data: PricingProductData = Field(alias="PricingProductData")


class EvsePricing(OicpModel):
    evse_id: str = Field(alias="EvseID")
    provider_id: str = Field(alias="ProviderID")
    evse_id_product_list: list[str] = Field(alias="EvseIDProductList", min_length=1)


class PushEvsePricing(OicpModel):
    action_type: ActionType = Field(alias="ActionType")
    evse_pricing: list[EvsePricing] = Field(alias="EVSEPricing", min_length=1)


# ---- authorization -----------------------------------------------------------------------------


class _PartnerSessions(OicpModel):
    session_id: str | None = Field(None, alias="SessionID")
    cpo_partner_session_id: str | None = Field(None, alias="CPOPartnerSessionID", max_length=250)
    emp_partner_session_id: str | None = Field(None, alias="EMPPartnerSessionID", max_length=250)


class AuthorizeStart(_PartnerSessions):
    operator_id: str = Field(alias="OperatorID")
    evse_id: str | None = Field(None, alias="EvseID")
    identification: Identification = Field(alias="Identification")
    partner_product_id: str | None = Field(None, alias="PartnerProductID", max_length=50)


class AuthorizationStart(_PartnerSessions):
    """eRoamingAuthorizationStart, the answer to AuthorizeStart."""

    provider_id: str | None = Field(None, alias="ProviderID")
    authorization_status: AuthorizationStatus = Field(alias="AuthorizationStatus")
    status_code: StatusCode = Field(alias="StatusCode")
    authorization_stop_identifications: list[Identification] | None = Field(
        None, alias="AuthorizationStopIdentifications"
    )


class AuthorizeStop(_PartnerSessions):
    session_id: str = Field(alias="SessionID")  # mandatory here
    operator_id: str = Field(alias="OperatorID")
    evse_id: str | None = Field(None, alias="EvseID")
    identification: Identification = Field(alias="Identification")


class AuthorizationStop(_PartnerSessions):
    provider_id: str | None = Field(None, alias="ProviderID")
    authorization_status: AuthorizationStatus = Field(alias="AuthorizationStatus")
    status_code: StatusCode = Field(alias="StatusCode")


class AuthorizeRemoteStart(_PartnerSessions):
    """SessionID is left empty by the EMP (HBS creates it) and set when HBS forwards to the CPO."""

    provider_id: str = Field(alias="ProviderID")
    evse_id: str = Field(alias="EvseID")
    identification: Identification = Field(alias="Identification")
    partner_product_id: str | None = Field(None, alias="PartnerProductID", max_length=50)


class AuthorizeRemoteStop(_PartnerSessions):
    session_id: str = Field(alias="SessionID")  # mandatory here
    provider_id: str = Field(alias="ProviderID")
    evse_id: str = Field(alias="EvseID")


class AuthorizeRemoteReservationStart(OicpModel):
    session_id: str | None = Field(None, alias="SessionID")
    cpo_partner_session_id: str | None = Field(None, alias="CPOPartnerSessionID", max_length=250)
    emp_partner_session_id: str | None = _either("EMPPartnerSessionID", "EMPPartnerSessionId")
    provider_id: str = Field(alias="ProviderID")
    evse_id: str = Field(alias="EvseID")
    identification: Identification = Field(alias="Identification")
    partner_product_id: str | None = Field(None, alias="PartnerProductID", max_length=50)
    duration: int | None = Field(None, alias="Duration", ge=1, le=99)


class AuthorizeRemoteReservationStop(_PartnerSessions):
    session_id: str = Field(alias="SessionID")  # mandatory here
    provider_id: str = Field(alias="ProviderID")
    evse_id: str = Field(alias="EvseID")


class AuthenticationDataRecord(OicpModel):
    identification: Identification = Field(alias="Identification")


class ProviderAuthenticationData(OicpModel):
    provider_id: str = Field(alias="ProviderID")
    authentication_data_record: list[AuthenticationDataRecord] = Field(alias="AuthenticationDataRecord")


class PushAuthenticationData(OicpModel):
    action_type: ActionType = Field(alias="ActionType")
    provider_authentication_data: ProviderAuthenticationData = Field(alias="ProviderAuthenticationData")


# ---- charging notifications --------------------------------------------------------------------


class MeterValueInBetween(OicpModel):
    meter_values: list[float] = Field(alias="meterValues")


class _Notification(_PartnerSessions):
    session_id: str = Field(alias="SessionID")  # mandatory here
    identification: Identification | None = Field(None, alias="Identification")
    evse_id: str = Field(alias="EvseID")
    operator_id: str = Field(alias="OperatorID")


class ChargingNotificationStart(_Notification):
    type: Literal["Start"] = Field("Start", alias="Type")
    charging_start: OicpDateTime = Field(alias="ChargingStart")
    session_start: OicpDateTime | None = Field(None, alias="SessionStart")
    meter_value_start: float | None = Field(None, alias="MeterValueStart")
    partner_product_id: str | None = Field(None, alias="PartnerProductID", max_length=50)


class ChargingNotificationProgress(_Notification):
    """At least one of ChargingDuration (milliseconds) and ConsumedEnergyProgress (kWh)."""

    type: Literal["Progress"] = Field("Progress", alias="Type")
    charging_start: OicpDateTime = Field(alias="ChargingStart")
    event_occurred: OicpDateTime = Field(alias="EventOccurred")
    charging_duration: int | None = Field(None, alias="ChargingDuration")
    consumed_energy_progress: float | None = Field(None, alias="ConsumedEnergyProgress")
    session_start: OicpDateTime | None = Field(None, alias="SessionStart")
    meter_value_start: float | None = Field(None, alias="MeterValueStart")
    meter_value_in_between: MeterValueInBetween | None = Field(None, alias="MeterValueInBetween")
    partner_product_id: str | None = Field(None, alias="PartnerProductID", max_length=50)

    @model_validator(mode="after")
    def _has_progress(self) -> Self:
        if self.charging_duration is None and self.consumed_energy_progress is None:
            raise ValueError("Progress needs ChargingDuration or ConsumedEnergyProgress")
        return self


class ChargingNotificationEnd(_Notification):
    type: Literal["End"] = Field("End", alias="Type")
    charging_end: OicpDateTime = Field(alias="ChargingEnd")
    charging_start: OicpDateTime | None = Field(None, alias="ChargingStart")
    session_start: OicpDateTime | None = Field(None, alias="SessionStart")
    session_end: OicpDateTime | None = Field(None, alias="SessionEnd")
    consumed_energy: float | None = Field(None, alias="ConsumedEnergy")
    meter_value_start: float | None = Field(None, alias="MeterValueStart")
    meter_value_end: float | None = Field(None, alias="MeterValueEnd")
    meter_value_in_between: MeterValueInBetween | None = Field(None, alias="MeterValueInBetween")
    partner_product_id: str | None = Field(None, alias="PartnerProductID", max_length=50)
    penalty_time_start: OicpDateTime | None = Field(None, alias="PenaltyTimeStart")


class ChargingNotificationError(_Notification):
    type: Literal["Error"] = Field("Error", alias="Type")
    error_type: ErrorType = Field(alias="ErrorType")
    error_additional_info: str | None = Field(None, alias="ErrorAdditionalInfo", max_length=250)


ChargingNotification = Annotated[
    ChargingNotificationStart | ChargingNotificationProgress | ChargingNotificationEnd | ChargingNotificationError,
    Field(discriminator="type"),
]
_NOTIFICATION: TypeAdapter[ChargingNotification] = TypeAdapter(ChargingNotification)


def parse_charging_notification(body: Any) -> ChargingNotification:
    """The notification a body carries, chosen by its `Type` (raises pydantic.ValidationError)."""
    return _NOTIFICATION.validate_python(body)


# ---- charge detail record ----------------------------------------------------------------------


class SignedMeteringValue(OicpModel):
    signed_metering_value: str | None = Field(None, alias="SignedMeteringValue", max_length=3000)
    metering_status: Literal["Start", "Progress", "End"] | None = Field(None, alias="MeteringStatus")


class CalibrationLawVerificationInfo(OicpModel):
    calibration_law_certificate_id: str | None = Field(None, alias="CalibrationLawCertificateID", max_length=100)
    public_key: str | None = Field(None, alias="PublicKey", max_length=1000)
    metering_signature_url: str | None = Field(None, alias="MeteringSignatureUrl", max_length=200)
    metering_signature_encoding_format: str | None = Field(None, alias="MeteringSignatureEncodingFormat", max_length=50)
    signed_metering_values_verification_instruction: str | None = Field(
        None, alias="SignedMeteringValuesVerificationInstruction", max_length=400
    )


class ChargeDetailRecord(_PartnerSessions):
    """eRoamingChargeDetailRecord. It carries no price, currency or tariff."""

    session_id: str = Field(alias="SessionID")  # mandatory here
    partner_product_id: str | None = Field(None, alias="PartnerProductID", max_length=50)
    evse_id: str = Field(alias="EvseID")
    identification: Identification = Field(alias="Identification")
    charging_start: OicpDateTime = Field(alias="ChargingStart")
    charging_end: OicpDateTime = Field(alias="ChargingEnd")
    session_start: OicpDateTime = Field(alias="SessionStart")
    session_end: OicpDateTime = Field(alias="SessionEnd")
    meter_value_start: float | None = Field(None, alias="MeterValueStart")
    meter_value_end: float | None = Field(None, alias="MeterValueEnd")
    meter_value_in_between: MeterValueInBetween | None = Field(None, alias="MeterValueInBetween")
    consumed_energy: float = Field(alias="ConsumedEnergy")
    signed_metering_values: list[SignedMeteringValue] | None = Field(None, alias="SignedMeteringValues", max_length=10)
    calibration_law_verification_info: CalibrationLawVerificationInfo | None = Field(
        None, alias="CalibrationLawVerificationInfo"
    )
    hub_operator_id: str | None = Field(None, alias="HubOperatorID")
    hub_provider_id: str | None = _either("HubProviderID", "HubProviderId")

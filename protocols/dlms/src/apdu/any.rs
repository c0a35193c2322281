//! Any xDLMS APDU, chosen by its first octet (IEC 62056-5-3 / DLMS UA 1000-2 Ed. 10 clause 9.5,
//! the XDLMS-APDU and ACSE-APDU CHOICEs): the entry point of a decoder that does not know what
//! comes next, such as a capture reader or the push listener.

use super::action::{ActionRequest, ActionResponse, ACTION_REQUEST, ACTION_RESPONSE};
use super::association::{AareView, AarqView, AARE, AARQ};
use super::exception::{
    ConfirmedServiceError, ExceptionResponse, CONFIRMED_SERVICE_ERROR, EXCEPTION_RESPONSE,
};
use super::get::{GetRequest, GetResponse, GET_REQUEST, GET_RESPONSE};
use super::initiate::{InitiateRequest, InitiateResponse, INITIATE_REQUEST, INITIATE_RESPONSE};
use super::notification::{
    DataNotification, EventNotificationRequest, DATA_NOTIFICATION, EVENT_NOTIFICATION_REQUEST,
};
use super::release::{ReleaseRequestView, ReleaseResponseView, RLRE, RLRQ};
use super::set::{SetRequest, SetResponse, SET_REQUEST, SET_RESPONSE};
use super::sn::{
    self, ReadRequest, ReadResponse, WriteRequest, WriteResponse, READ_REQUEST, READ_RESPONSE,
    UNCONFIRMED_WRITE_REQUEST, WRITE_REQUEST, WRITE_RESPONSE,
};
use crate::axdr::Limits;
use crate::security::{CipheredApdu, CipheredTag};
use crate::Error;

/// One decoded APDU, borrowing its input.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Apdu<'a> {
    /// AARQ (0x60).
    Aarq(AarqView<'a>),
    /// AARE (0x61).
    Aare(AareView<'a>),
    /// RLRQ (0x62).
    ReleaseRequest(ReleaseRequestView<'a>),
    /// RLRE (0x63).
    ReleaseResponse(ReleaseResponseView<'a>),
    /// xDLMS InitiateRequest (0x01), as found inside an AARQ or once deciphered.
    InitiateRequest(InitiateRequest),
    /// xDLMS InitiateResponse (0x08).
    InitiateResponse(InitiateResponse),
    /// ConfirmedServiceError (0x0E).
    ConfirmedServiceError(ConfirmedServiceError),
    /// GET-Request (0xC0).
    GetRequest(GetRequest<'a>),
    /// GET-Response (0xC4).
    GetResponse(GetResponse<'a>),
    /// SET-Request (0xC1).
    SetRequest(SetRequest<'a>),
    /// SET-Response (0xC5).
    SetResponse(SetResponse<'a>),
    /// ACTION-Request (0xC3).
    ActionRequest(ActionRequest<'a>),
    /// ACTION-Response (0xC7).
    ActionResponse(ActionResponse<'a>),
    /// DataNotification (0x0F).
    DataNotification(DataNotification<'a>),
    /// EventNotificationRequest (0xC2).
    EventNotificationRequest(EventNotificationRequest<'a>),
    /// ExceptionResponse (0xD8).
    ExceptionResponse(ExceptionResponse),
    /// ReadRequest (0x05, short names).
    ReadRequest(ReadRequest<'a>),
    /// ReadResponse (0x0C).
    ReadResponse(ReadResponse<'a>),
    /// WriteRequest (0x06).
    WriteRequest(WriteRequest<'a>),
    /// UnconfirmedWriteRequest (0x16).
    UnconfirmedWriteRequest(WriteRequest<'a>),
    /// WriteResponse (0x0D).
    WriteResponse(WriteResponse<'a>),
    /// A ciphered APDU (glo-, ded-, general-glo- or general-ded-ciphering): its envelope. The
    /// plaintext comes from [`CipheredApdu::decrypt`] and decodes with [`Apdu::decode`] again.
    Ciphered(CipheredApdu<'a>),
}

impl<'a> Apdu<'a> {
    /// Decodes the APDU that fills `input`, with the default Data [`Limits`].
    ///
    /// # Errors
    /// [`Error::Truncated`] for an empty input, [`Error::UnknownChoice`] for a first octet that
    /// names no APDU this crate knows, and the errors of the APDU's own decoder.
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        Self::decode_with(input, Limits::default())
    }

    /// As [`decode`](Self::decode), with the given Data limits.
    pub fn decode_with(input: &'a [u8], limits: Limits) -> Result<Self, Error> {
        let Some(&tag) = input.first() else {
            return Err(Error::Truncated {
                offset: 0,
                what: "APDU tag",
                needed: 1,
            });
        };
        Ok(match tag {
            AARQ => Apdu::Aarq(AarqView::decode(input)?),
            AARE => Apdu::Aare(AareView::decode(input)?),
            RLRQ => Apdu::ReleaseRequest(ReleaseRequestView::decode(input)?),
            RLRE => Apdu::ReleaseResponse(ReleaseResponseView::decode(input)?),
            INITIATE_REQUEST => Apdu::InitiateRequest(InitiateRequest::decode(input)?),
            INITIATE_RESPONSE => Apdu::InitiateResponse(InitiateResponse::decode(input)?),
            CONFIRMED_SERVICE_ERROR => {
                Apdu::ConfirmedServiceError(ConfirmedServiceError::decode(input)?)
            }
            GET_REQUEST => Apdu::GetRequest(GetRequest::decode_with(input, limits)?),
            GET_RESPONSE => Apdu::GetResponse(GetResponse::decode_with(input, limits)?),
            SET_REQUEST => Apdu::SetRequest(SetRequest::decode_with(input, limits)?),
            SET_RESPONSE => Apdu::SetResponse(SetResponse::decode(input)?),
            ACTION_REQUEST => Apdu::ActionRequest(ActionRequest::decode_with(input, limits)?),
            ACTION_RESPONSE => Apdu::ActionResponse(ActionResponse::decode_with(input, limits)?),
            DATA_NOTIFICATION => {
                Apdu::DataNotification(DataNotification::decode_with(input, limits)?)
            }
            EVENT_NOTIFICATION_REQUEST => Apdu::EventNotificationRequest(
                EventNotificationRequest::decode_with(input, limits)?,
            ),
            EXCEPTION_RESPONSE => Apdu::ExceptionResponse(ExceptionResponse::decode(input)?),
            READ_REQUEST => Apdu::ReadRequest(ReadRequest::decode_with(input, limits)?),
            READ_RESPONSE => Apdu::ReadResponse(ReadResponse::decode_with(input, limits)?),
            WRITE_REQUEST => Apdu::WriteRequest(WriteRequest::decode_with(input, limits)?),
            UNCONFIRMED_WRITE_REQUEST => {
                Apdu::UnconfirmedWriteRequest(WriteRequest::decode_unconfirmed_with(input, limits)?)
            }
            WRITE_RESPONSE => Apdu::WriteResponse(WriteResponse::decode(input)?),
            other if CipheredTag(other).name().is_some() => {
                Apdu::Ciphered(CipheredApdu::decode(input)?)
            }
            other => {
                return Err(Error::UnknownChoice {
                    offset: 0,
                    what: "APDU tag",
                    found: other,
                })
            }
        })
    }

    /// The APDU's name as the standard's ASN.1 spells it (`"get-response"`,
    /// `"glo-get-response"`, `"AARQ"`).
    pub fn name(&self) -> &'static str {
        match self {
            Apdu::Aarq(_) => "AARQ",
            Apdu::Aare(_) => "AARE",
            Apdu::ReleaseRequest(_) => "RLRQ",
            Apdu::ReleaseResponse(_) => "RLRE",
            Apdu::InitiateRequest(_) => "initiateRequest",
            Apdu::InitiateResponse(_) => "initiateResponse",
            Apdu::ConfirmedServiceError(_) => "confirmedServiceError",
            Apdu::GetRequest(_) => "get-request",
            Apdu::GetResponse(_) => "get-response",
            Apdu::SetRequest(_) => "set-request",
            Apdu::SetResponse(_) => "set-response",
            Apdu::ActionRequest(_) => "action-request",
            Apdu::ActionResponse(_) => "action-response",
            Apdu::DataNotification(_) => "data-notification",
            Apdu::EventNotificationRequest(_) => "event-notification-request",
            Apdu::ExceptionResponse(_) => "exception-response",
            Apdu::ReadRequest(_) => "readRequest",
            Apdu::ReadResponse(_) => "readResponse",
            Apdu::WriteRequest(_) => "writeRequest",
            Apdu::UnconfirmedWriteRequest(_) => "unconfirmedWriteRequest",
            Apdu::WriteResponse(_) => "writeResponse",
            Apdu::Ciphered(c) => c.tag().name().unwrap_or("ciphered APDU"),
        }
    }

    /// Appends the APDU encoded again from its decoded form (through the owned types, so this
    /// allocates). For every APDU that decodes, this gives back the input bytes unless the input
    /// used one of the encodings the standard allows several of (a long-form length where the
    /// short one fits, a boolean octet other than 0x00/0x01).
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Apdu::Aarq(a) => a.encode(out),
            Apdu::Aare(a) => a.encode(out),
            Apdu::ReleaseRequest(r) => r.encode(out),
            Apdu::ReleaseResponse(r) => r.encode(out),
            Apdu::InitiateRequest(i) => i.encode(out),
            Apdu::InitiateResponse(i) => i.encode(out),
            Apdu::ConfirmedServiceError(e) => e.encode(out),
            Apdu::GetRequest(g) => g.to_owned().encode(out),
            Apdu::GetResponse(g) => g.to_owned().encode(out),
            Apdu::SetRequest(s) => s.to_owned().encode(out),
            Apdu::SetResponse(s) => s.to_owned().encode(out),
            Apdu::ActionRequest(a) => a.to_owned().encode(out),
            Apdu::ActionResponse(a) => a.to_owned().encode(out),
            Apdu::DataNotification(d) => d.to_owned().encode(out),
            Apdu::EventNotificationRequest(e) => e.to_owned().encode(out),
            Apdu::ExceptionResponse(e) => e.encode(out),
            Apdu::ReadRequest(r) => sn::encode_read_request(&r.to_owned(), out),
            Apdu::ReadResponse(r) => sn::encode_read_response(&r.to_owned(), out),
            Apdu::WriteRequest(w) => w.to_owned().encode(out),
            Apdu::UnconfirmedWriteRequest(w) => w.to_owned().encode_unconfirmed(out),
            Apdu::WriteResponse(w) => {
                let results: Vec<_> = w.results.clone().collect();
                sn::encode_write_response(&results, out)
            }
            Apdu::Ciphered(c) => c.encode(out),
        }
    }

    /// [`encode`](Self::encode) into a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

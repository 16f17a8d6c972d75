import { graphql } from "../../client/agent-graphql.ts";
import { EnrolmentFields } from "../fragments.ts";

// The member's own view (role MEMBER), against packages/schema/agent.graphql.

const PassFields = graphql(`
  fragment MemberPassFields on Pass @_unmask {
    id
    memberId
    status
    consent
    shortCode
    validFrom
    validUntil
    createdAt
    revocationReason
    cardSvg
  }
`);

export const MemberPassQuery = graphql(
  `
  query MemberPass($memberId: ID!) {
    memberPass(memberId: $memberId) {
      ...MemberPassFields
    }
    memberPasses(memberId: $memberId) {
      id
      status
      validFrom
      validUntil
      createdAt
      revocationReason
      consent
    }
    member(id: $memberId) {
      id
      displayName
      firstName
      email
      phone
      organisation
    }
  }
`,
  [PassFields],
);

/** The pass as shown at a visited place: only the fields chosen now. */
export const PresentationQuery = graphql(`
  query MemberPresentation($memberId: ID!, $disclose: [ConsentField!]) {
    memberPass(memberId: $memberId) {
      id
      presentation(disclose: $disclose) {
        passId
        disclosed
        qrSvg
      }
    }
  }
`);

export const RenewPassMutation = graphql(
  `
  mutation MemberRenewPass($memberId: ID!) {
    renewPass(memberId: $memberId) {
      ...MemberPassFields
    }
  }
`,
  [PassFields],
);

export const SetConsentMutation = graphql(
  `
  mutation MemberSetConsent($memberId: ID!, $fields: [ConsentField!]!) {
    setPassConsent(memberId: $memberId, fields: $fields) {
      ...MemberPassFields
    }
  }
`,
  [PassFields],
);

export const MyVisitsQuery = graphql(`
  query MemberVisits {
    myVisits(first: 100) {
      id
      day
      arrivedAt
      departedAt
      method
      spaceId
      space {
        id
        name
      }
    }
  }
`);

export const MyBookingsQuery = graphql(`
  query MemberBookings {
    bookingRequests {
      id
      kind
      status
      resourceId
      ownerNodeId
      startsAt
      endsAt
      reason
      reasonCode
      createdAt
    }
    networkResources {
      id
      name
    }
  }
`);

export const MyEnrolmentsQuery = graphql(
  `
  query MemberEnrolments {
    myEnrolments {
      ...MemberEnrolmentFields
    }
  }
`,
  [EnrolmentFields],
);

export const AcceptOfferMutation = graphql(
  `
  mutation MemberAcceptOffer($id: ID!) {
    acceptEnrolmentOffer(id: $id) {
      ...MemberEnrolmentFields
    }
  }
`,
  [EnrolmentFields],
);

export const CancelEnrolmentMutation = graphql(
  `
  mutation MemberCancelEnrolment($id: ID!) {
    cancelEnrolment(id: $id) {
      ...MemberEnrolmentFields
    }
  }
`,
  [EnrolmentFields],
);

export const MemberBookingUpdatedSubscription = graphql(`
  subscription MemberBookingUpdated {
    bookingUpdated {
      resourceId
      request {
        id
        status
      }
    }
  }
`);

export const CredentialsQuery = graphql(`
  query MemberCredentials($memberId: ID!) {
    credentials(memberId: $memberId) {
      id
      type
      issuedAt
      expiresAt
      owned
      signed
      trainingId
    }
  }
`);

export const ExportOpenBadgeQuery = graphql(`
  query MemberExportOpenBadge($credentialId: ID!) {
    exportOpenBadge(credentialId: $credentialId) {
      credentialId
      vcJwt
      credential
    }
  }
`);

import { graphql } from "../../client/agent-graphql.ts";
import { RequestFields, ResourceFields } from "../fragments.ts";

// The console's check-in, activity and satellite documents, against packages/schema/agent.graphql.

const SpaceFields = graphql(`
  fragment PlaceSpaceFields on Space @_unmask {
    id
    name
    kind
    status
  }
`);

/**
 * The spaces the viewer may act for: the fabrique itself (`home`: the team's fabrique, or a
 * satellite's own space) and the satellites (a satellite's token: its own space).
 */
export const PlacesSpacesQuery = graphql(
  `
  query PlacesSpaces($home: ID!) {
    home: space(id: $home) {
      ...PlaceSpaceFields
    }
    satellites {
      ...PlaceSpaceFields
    }
  }
`,
  [SpaceFields],
);

const VisitFields = graphql(`
  fragment PlaceVisitFields on Visit @_unmask {
    id
    day
    arrivedAt
    departedAt
    method
    memberId
    spaceId
    homeSpaceId
    disclosure {
      firstName
      email
      phone
      organisation
      expiresAt
    }
  }
`);

export const PlaceVisitsQuery = graphql(
  `
  query PlaceVisits($spaceId: ID, $first: Int) {
    visits(spaceId: $spaceId, first: $first) {
      ...PlaceVisitFields
    }
  }
`,
  [VisitFields],
);

/** `withHome`: the visitor's home place too (the team's names for visitors, not a satellite's). */
export const CheckInMutation = graphql(
  `
  mutation PlaceCheckIn($input: CheckInInput!, $withHome: Boolean = false) {
    checkIn(input: $input) {
      ...PlaceVisitFields
      homeSpace @include(if: $withHome) {
        id
        name
      }
    }
  }
`,
  [VisitFields],
);

export const CheckOutMutation = graphql(
  `
  mutation PlaceCheckOut($visitId: ID!) {
    checkOut(visitId: $visitId) {
      ...PlaceVisitFields
    }
  }
`,
  [VisitFields],
);

export const VisitRecordedSubscription = graphql(
  `
  subscription PlaceVisitRecorded($spaceId: ID, $withHome: Boolean = false) {
    visitRecorded(spaceId: $spaceId) {
      ...PlaceVisitFields
      homeSpace @include(if: $withHome) {
        id
        name
      }
    }
  }
`,
  [VisitFields],
);

const ActivityFields = graphql(`
  fragment PlaceActivityFields on ActivityReport @_unmask {
    spaceId
    date
    visitors
    events
    participants
    openHours
    note
  }
`);

export const ActivityQuery = graphql(
  `
  query PlaceActivity($spaceId: ID!, $from: String!, $to: String!) {
    activity(spaceId: $spaceId, from: $from, to: $to) {
      ...PlaceActivityFields
    }
  }
`,
  [ActivityFields],
);

export const ReportActivityMutation = graphql(
  `
  mutation PlaceReportActivity($input: ReportActivityInput!) {
    reportActivity(input: $input) {
      ...PlaceActivityFields
    }
  }
`,
  [ActivityFields],
);

export const WithdrawActivityMutation = graphql(
  `
  mutation PlaceWithdrawActivity($spaceId: ID!, $date: String!) {
    withdrawActivity(spaceId: $spaceId, date: $date) {
      ...PlaceActivityFields
    }
  }
`,
  [ActivityFields],
);

export const ImportActivityMutation = graphql(
  `
  mutation PlaceImportActivity($csv: String!) {
    importActivity(csv: $csv) {
      imported
      emitted
      reports {
        ...PlaceActivityFields
      }
    }
  }
`,
  [ActivityFields],
);

/** The resources a satellite may book: its network's own (at its space) and other nodes'. */
export const BookableResourcesQuery = graphql(
  `
  query PlaceBookableResources($spaceId: ID!, $fabriqueId: ID!) {
    own: resources(spaceId: $spaceId) {
      ...PlaceResourceFields
    }
    fabrique: resources(spaceId: $fabriqueId) {
      ...PlaceResourceFields
    }
    networkResources {
      ...PlaceResourceFields
    }
  }
`,
  [ResourceFields],
);

export const AvailabilityQuery = graphql(`
  query PlaceAvailability($resourceId: ID!, $from: DateTime!, $to: DateTime!) {
    resourceAvailability(resourceId: $resourceId, from: $from, to: $to) {
      startsAt
      endsAt
      minutes
    }
  }
`);

export const MyRequestsQuery = graphql(
  `
  query PlaceMyRequests {
    bookingRequests(direction: OUTGOING) {
      ...PlaceRequestFields
    }
    networkResources {
      id
      name
    }
  }
`,
  [RequestFields],
);

/** Bookings of this node's own resource (a satellite: those for its space). */
export const ResourceBookingsQuery = graphql(`
  query PlaceResourceBookings($resourceId: ID!) {
    bookings(resourceId: $resourceId) {
      id
      resourceId
      startsAt
      endsAt
      status
      kind
      forSpaceId
      forMemberId
    }
  }
`);

/**
 * The home places of a space's visitors, for the team (a satellite may not read other spaces);
 * a new visit's comes with it (CheckInMutation's and VisitRecordedSubscription's `withHome`).
 */
export const VisitHomesQuery = graphql(`
  query PlaceVisitHomes($spaceId: ID, $first: Int) {
    visits(spaceId: $spaceId, first: $first) {
      id
      homeSpace {
        id
        name
      }
    }
  }
`);

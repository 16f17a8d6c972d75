import { graphql } from "../client/agent-graphql.ts";
import {
  BookingFields,
  EnrolmentFields,
  MemberFields,
  RequestFields,
  SeatFields,
  TrainingFields,
} from "./fragments.ts";

/** The team console's documents, against packages/schema/agent.graphql. */

/** Whether the agent reaches the hub (every role: the banner of every console page). */
export const HubConnectionQuery = graphql(`
  query ConsoleHubConnection {
    hubConnection {
      hubReachable
      outboxPending
    }
  }
`);

export const SyncStatusQuery = graphql(`
  query ConsoleSyncStatus {
    syncStatus {
      nodeId
      fabriqueId
      hubReachable
      lagSeconds
      outboxPending
      oldestPendingAt
      lastPullAt
      lastPushAt
      lastError
      lastErrorAt
      poisoned {
        seq
        code
        message
        entity
        entityId
      }
    }
  }
`);

export const RetryPoisonedMutation = graphql(`
  mutation ConsoleRetryPoisoned($seq: Int!) {
    retryPoisonedChange(seq: $seq) {
      outboxPending
      poisoned {
        seq
      }
    }
  }
`);

export const SpacesQuery = graphql(`
  query ConsoleSpaces($fabriqueId: ID!, $includeClosed: Boolean) {
    fabrique: space(id: $fabriqueId) {
      id
      name
      kind
      status
      communeCode
      commune {
        name
      }
    }
    satellites(includeClosed: $includeClosed) {
      id
      name
      kind
      status
      owned
      communeCode
      commune {
        name
        department {
          code
          name
        }
      }
      services
    }
  }
`);

export const MembersQuery = graphql(
  `
  query ConsoleMembers($spaceId: ID!) {
    members(spaceId: $spaceId) {
      ...ConsoleMemberFields
    }
  }
`,
  [MemberFields],
);

export const MemberQuery = graphql(
  `
  query ConsoleMember($id: ID!) {
    member(id: $id) {
      ...ConsoleMemberFields
    }
    memberPass(memberId: $id) {
      id
      shortCode
      status
      validFrom
      validUntil
    }
    enrolments(memberId: $id) {
      id
      status
      position
      trainingId
      training {
        id
        title
        startsAt
      }
    }
    credentials(memberId: $id) {
      id
      type
      issuedAt
      expiresAt
    }
  }
`,
  [MemberFields],
);

export const CreateSatelliteMutation = graphql(`
  mutation ConsoleCreateSatellite($input: CreateSpaceInput!) {
    createSatellite(input: $input) {
      id
      name
    }
  }
`);

export const CloseSatelliteMutation = graphql(`
  mutation ConsoleCloseSatellite($id: ID!) {
    closeSatellite(id: $id) {
      id
      status
    }
  }
`);

export const RegisterMemberMutation = graphql(`
  mutation ConsoleRegisterMember(
    $displayName: String!
    $homeSpaceId: ID!
    $firstName: String
    $email: String
    $phone: String
    $organisation: String
  ) {
    registerMember(
      displayName: $displayName
      homeSpaceId: $homeSpaceId
      firstName: $firstName
      email: $email
      phone: $phone
      organisation: $organisation
    ) {
      id
    }
  }
`);

export const UpdateMemberMutation = graphql(`
  mutation ConsoleUpdateMember(
    $id: ID!
    $displayName: String
    $homeSpaceId: ID
    $firstName: String
    $email: String
    $phone: String
    $organisation: String
  ) {
    updateMember(
      id: $id
      displayName: $displayName
      homeSpaceId: $homeSpaceId
      firstName: $firstName
      email: $email
      phone: $phone
      organisation: $organisation
    ) {
      id
    }
  }
`);

export const MemberExportQuery = graphql(`
  query ConsoleMemberExport($memberId: ID!) {
    memberDataExport(memberId: $memberId)
  }
`);

export const EraseMemberMutation = graphql(`
  mutation ConsoleEraseMember($id: ID!) {
    eraseMember(id: $id)
  }
`);

export const ResourcesQuery = graphql(`
  query ConsoleResources($spaceId: ID!) {
    resources(spaceId: $spaceId) {
      id
      name
      category
      status
      movable
      approvalRequired
      sharingScope
      spaceId
      owned
    }
  }
`);

export const NetworkResourcesQuery = graphql(`
  query ConsoleNetworkResources {
    networkResources {
      id
      name
      category
      movable
      approvalRequired
      ownerNodeId
      spaceId
    }
  }
`);

export const ResourceQuery = graphql(
  `
  query ConsoleResource($id: ID!) {
    bookings(resourceId: $id) {
      ...ConsoleBookingFields
    }
    loans(resourceId: $id) {
      id
      status
      overdue
    }
  }
`,
  [BookingFields],
);

export const BookingsQuery = graphql(
  `
  query ConsoleBookings($id: ID!) {
    bookings(resourceId: $id) {
      ...ConsoleBookingFields
    }
  }
`,
  [BookingFields],
);

export const BookMutation = graphql(`
  mutation Book(
    $resourceId: ID!
    $startsAt: DateTime!
    $endsAt: DateTime!
    $forSpaceId: ID
    $forMemberId: ID
  ) {
    book(
      resourceId: $resourceId
      startsAt: $startsAt
      endsAt: $endsAt
      forSpaceId: $forSpaceId
      forMemberId: $forMemberId
    ) {
      id
      resourceId
      startsAt
      endsAt
      status
    }
  }
`);

export const LendMutation = graphql(`
  mutation ConsoleLend($resourceId: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $toSpaceId: ID!) {
    lend(resourceId: $resourceId, startsAt: $startsAt, endsAt: $endsAt, toSpaceId: $toSpaceId) {
      id
      status
    }
  }
`);

export const CancelBookingMutation = graphql(`
  mutation CancelBooking($id: ID!) {
    cancelBooking(id: $id) {
      id
      status
    }
  }
`);

export const CheckOutLoanMutation = graphql(`
  mutation ConsoleCheckOutLoan($id: ID!) {
    checkOutLoan(id: $id) {
      id
      status
    }
  }
`);

export const CheckInLoanMutation = graphql(`
  mutation ConsoleCheckInLoan($id: ID!) {
    checkInLoan(id: $id) {
      id
      status
    }
  }
`);

/** Every booking request (the same fields as bookingUpdated's, which updates this list). */
export const BookingRequestsQuery = graphql(
  `
  query ConsoleBookingRequests {
    bookingRequests {
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

export const PendingEnrolmentsQuery = graphql(`
  query ConsolePendingEnrolments {
    enrolments(status: PENDING) {
      id
      memberId
      trainingId
      createdAt
      training {
        title
        startsAt
        owned
      }
    }
  }
`);

export const DecideBookingRequestMutation = graphql(`
  mutation ConsoleDecideBookingRequest($id: ID!, $accept: Boolean!, $reason: String) {
    decideBookingRequest(id: $id, accept: $accept, reason: $reason) {
      id
      status
      reason
      decidedAt
    }
  }
`);

export const RequestBookingMutation = graphql(
  `
  mutation RequestBooking(
    $resourceId: ID!
    $startsAt: DateTime!
    $endsAt: DateTime!
    $forSpaceId: ID
    $forMemberId: ID
  ) {
    requestBooking(
      resourceId: $resourceId
      startsAt: $startsAt
      endsAt: $endsAt
      forSpaceId: $forSpaceId
      forMemberId: $forMemberId
    ) {
      ...PlaceRequestFields
    }
  }
`,
  [RequestFields],
);

export const RequestLoanMutation = graphql(`
  mutation ConsoleRequestLoan($resourceId: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $toSpaceId: ID!) {
    requestLoan(resourceId: $resourceId, startsAt: $startsAt, endsAt: $endsAt, toSpaceId: $toSpaceId) {
      id
      status
      reason
      reasonCode
    }
  }
`);

/** Withdraws one of this node's requests (the team's list and a satellite's own). */
export const CancelBookingRequestMutation = graphql(
  `
  mutation ConsoleCancelBookingRequest($id: ID!) {
    cancelBookingRequest(id: $id) {
      ...PlaceRequestFields
    }
  }
`,
  [RequestFields],
);

export const BookingUpdatedSubscription = graphql(
  `
  subscription BookingUpdated {
    bookingUpdated {
      resourceId
      request {
        ...PlaceRequestFields
      }
      booking {
        id
        resourceId
        startsAt
        endsAt
        status
        forSpaceId
      }
    }
  }
`,
  [RequestFields],
);

export const HomeQuery = graphql(`
  query ConsoleHome($from: DateTime!, $to: DateTime!) {
    bookingRequests(status: PENDING) {
      id
      direction
    }
    trainings(filter: { from: $from, to: $to }) {
      id
      title
      startsAt
      owned
      status
      seats {
        taken
        capacity
        waitlisted
      }
    }
  }
`);

export const TrainingsQuery = graphql(
  `
  query ConsoleTrainings($from: DateTime) {
    trainings(filter: { from: $from }) {
      ...ConsoleTrainingFields
    }
  }
`,
  [TrainingFields],
);

export const TrainingQuery = graphql(
  `
  query ConsoleTraining($id: ID!) {
    training(id: $id) {
      ...ConsoleTrainingFields
      cancelReasonCode
    }
    enrolments(trainingId: $id) {
      id
      memberId
      status
      position
      reasonCode
      createdAt
      offerExpiresAt
    }
  }
`,
  [TrainingFields],
);

export const MarkAttendanceMutation = graphql(`
  mutation ConsoleMarkAttendance($id: ID!, $status: AttendanceStatus!) {
    markAttendance(id: $id, status: $status) {
      id
      status
    }
  }
`);

export const CreateTrainingMutation = graphql(`
  mutation ConsoleCreateTraining($input: CreateTrainingInput!) {
    createTraining(input: $input) {
      id
    }
  }
`);

export const EnrolmentUpdatedSubscription = graphql(
  `
  subscription EnrolmentUpdated($trainingId: ID) {
    enrolmentUpdated(trainingId: $trainingId) {
      ...MemberEnrolmentFields
    }
  }
`,
  [EnrolmentFields],
);

export const TrainingSeatsSubscription = graphql(
  `
  subscription ConsoleTrainingSeats($trainingId: ID) {
    trainingSeatsChanged(trainingId: $trainingId) {
      id
      status
      seats {
        ...ConsoleSeatFields
      }
    }
  }
`,
  [SeatFields],
);

export const CalendarFeedsQuery = graphql(`
  query ConsoleCalendarFeeds {
    calendarFeeds {
      id
      label
      target
      targetId
      createdAt
      revokedAt
    }
  }
`);

export const CreateCalendarFeedMutation = graphql(`
  mutation ConsoleCreateCalendarFeed($label: String, $resourceId: ID, $spaceId: ID, $memberId: ID) {
    createCalendarFeed(label: $label, resourceId: $resourceId, spaceId: $spaceId, memberId: $memberId) {
      url
      feed {
        id
      }
    }
  }
`);

export const RevokeCalendarFeedMutation = graphql(`
  mutation ConsoleRevokeCalendarFeed($id: ID!) {
    revokeCalendarFeed(id: $id) {
      id
      revokedAt
    }
  }
`);

export const TrainingStatisticsCsvQuery = graphql(`
  query ConsoleTrainingStatisticsCsv($from: String!, $to: String!) {
    trainingStatisticsCsv(from: $from, to: $to)
  }
`);

export const RemoveEnrolmentMutation = graphql(`
  mutation ConsoleRemoveEnrolment($id: ID!, $reason: String) {
    removeEnrolment(id: $id, reason: $reason) {
      id
      status
    }
  }
`);

export const CancelTrainingMutation = graphql(`
  mutation ConsoleCancelTraining($id: ID!) {
    cancelTraining(id: $id) {
      id
      status
    }
  }
`);

/**
 * A resource's availability changed (a booking, a loan, maintenance; this node's or a replica):
 * query its availability or bookings again. `resourceId` follows one; without it, every one.
 */
export const ResourceAvailabilityChangedSubscription = graphql(`
  subscription ResourceAvailabilityChanged($resourceId: ID) {
    resourceAvailabilityChanged(resourceId: $resourceId) {
      resourceId
    }
  }
`);

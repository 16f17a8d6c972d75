import { graphql } from "../client/hub-graphql.ts";

// The dashboard's documents, all against the hub (documents.test.ts validates each export).
// Fragments are unmasked (@_unmask): views read their fields directly.

const CoverageFields = graphql(`
  fragment CoverageFields on Coverage @_unmask {
    spaces
    fabriques
    satellites
    communesCovered
    ruralSpaces
    ruralShare
    activeSpaces
    silentSpaces
  }
`);

const MobilityCellFields = graphql(`
  fragment MobilityCellFields on MobilityCell @_unmask {
    visits
    members
    suppressed
  }
`);

const HealthFigures = graphql(
  `
  fragment HealthFigures on NetworkHealth @_unmask {
    scope
    from
    to
    coverage {
      ...CoverageFields
    }
    liveness {
      online
      stale
      silent
      worstLags {
        nodeId
        fabriqueName
        liveness
        lagSeconds
        lastSeenAt
        pending
      }
    }
    activity {
      visitors
      visitorsTrend
      events
      eventsTrend
      participants
      participantsTrend
      openHours
      openHoursTrend
      reports
    }
    training {
      trainings
      trainingsTrend
      seatsOffered
      seatsFilled
      seatsFilledTrend
      fillRate
      hoursDelivered
      hoursDeliveredTrend
      credentialsIssued
      credentialsIssuedTrend
      waitlisted
      attendanceRate
      attendanceRateTrend
      byTopic {
        topic
        trainings
        seatsOffered
        seatsFilled
        fillRate
        hoursDelivered
        waitlisted
      }
    }
    mutualisation {
      resources
      sharedResources
      bookings
      bookingsTrend
      crossNodeBookings
      crossNodeBookingsTrend
      loans
      loansTrend
      bookedHours
      bookedHoursTrend
      utilisation
      utilisationTrend
    }
    mobility {
      month
      outgoing {
        ...MobilityCellFields
      }
      incoming {
        ...MobilityCellFields
      }
      outgoingVisitsTrend
      outgoingMembersTrend
      incomingVisitsTrend
    }
    regions {
      code
      name
      coverage {
        ...CoverageFields
      }
      visitors
      events
      participants
      openHours
      bookings
      loans
      sharedResources
      departments {
        code
        name
        coverage {
          ...CoverageFields
        }
      }
    }
  }
`,
  [CoverageFields, MobilityCellFields],
);

/** The figures of a scope (the caller's whole view without a filter) over a period. */
export const HealthQuery = graphql(
  `
  query Health($filter: NetworkHealthFilter) {
    networkHealth(filter: $filter) {
      ...HealthFigures
    }
  }
`,
  [HealthFigures],
);

const MonthFigures = graphql(`
  fragment MonthFigures on NetworkHealth @_unmask {
    from
    to
    activity {
      visitors
      events
      participants
      openHours
      reports
    }
    training {
      seatsOffered
      seatsFilled
      hoursDelivered
      credentialsIssued
    }
    mutualisation {
      bookings
      crossNodeBookings
      loans
      bookedHours
    }
  }
`);

/** Twelve periods (calendar months, oldest first) of a scope in one request, for the trend charts. */
export const TrendsQuery = graphql(
  `
  query Trends(
    $m0: NetworkHealthFilter
    $m1: NetworkHealthFilter
    $m2: NetworkHealthFilter
    $m3: NetworkHealthFilter
    $m4: NetworkHealthFilter
    $m5: NetworkHealthFilter
    $m6: NetworkHealthFilter
    $m7: NetworkHealthFilter
    $m8: NetworkHealthFilter
    $m9: NetworkHealthFilter
    $m10: NetworkHealthFilter
    $m11: NetworkHealthFilter
  ) {
    m0: networkHealth(filter: $m0) {
      ...MonthFigures
    }
    m1: networkHealth(filter: $m1) {
      ...MonthFigures
    }
    m2: networkHealth(filter: $m2) {
      ...MonthFigures
    }
    m3: networkHealth(filter: $m3) {
      ...MonthFigures
    }
    m4: networkHealth(filter: $m4) {
      ...MonthFigures
    }
    m5: networkHealth(filter: $m5) {
      ...MonthFigures
    }
    m6: networkHealth(filter: $m6) {
      ...MonthFigures
    }
    m7: networkHealth(filter: $m7) {
      ...MonthFigures
    }
    m8: networkHealth(filter: $m8) {
      ...MonthFigures
    }
    m9: networkHealth(filter: $m9) {
      ...MonthFigures
    }
    m10: networkHealth(filter: $m10) {
      ...MonthFigures
    }
    m11: networkHealth(filter: $m11) {
      ...MonthFigures
    }
  }
`,
  [MonthFigures],
);

/** Node agents and their liveness (optionally one state only). */
export const NodesQuery = graphql(`
  query Nodes($liveness: NodeLiveness) {
    nodes(liveness: $liveness) {
      id
      liveness
      status
      lagSeconds
      pending
      lastSeenAt
      lastPullAt
      lastPushAt
      fabrique {
        id
        name
      }
    }
  }
`);

/** The names of the regions and departments that have open spaces in the caller's view. */
export const GeographyQuery = graphql(`
  query Geography {
    regions {
      code
      name
      departments {
        code
        name
      }
    }
  }
`);

/** The fabriques visible to the caller, with where they are (drill-down lists). */
export const FabriquesQuery = graphql(`
  query Fabriques {
    fabriques {
      id
      name
      rural
      commune {
        code
        name
        department {
          code
          name
        }
        region {
          code
          name
        }
      }
    }
  }
`);

/** A fabrique territory's name and place (its fabrique's commune). */
const TerritoryFields = graphql(`
  fragment TerritoryFields on Space @_unmask {
    id
    name
    rural
    commune {
      name
      department {
        code
        name
      }
    }
  }
`);

/**
 * The open spaces of a department with their fabrique territory (a satellite's fabrique, or
 * the fabrique itself), so its page lists every territory with a place there, wherever the
 * fabrique itself is. One page of 100: a department has far fewer places, and the hub's cost
 * limit (50,000) refuses 500 with this selection (about 320 a place; checked on the demo).
 */
export const DepartmentSpacesQuery = graphql(
  `
  query DepartmentSpaces($department: String!) {
    spaces(filter: { department: $department, status: OPEN }, first: 100) {
      edges {
        node {
          kind
          ...TerritoryFields
          fabrique {
            ...TerritoryFields
          }
        }
      }
    }
  }
`,
  [TerritoryFields],
);

/** Member mobility of a scope: the month, the past months, region flows, territory flows. */
export const MobilityQuery = graphql(
  `
  query Mobility($filter: NetworkHealthFilter) {
    networkHealth(filter: $filter) {
      scope
      mobility {
        month
        outgoing {
          ...MobilityCellFields
        }
        incoming {
          ...MobilityCellFields
        }
        outgoingVisitsTrend
        outgoingMembersTrend
        incomingVisitsTrend
        months {
          month
          outgoing {
            ...MobilityCellFields
          }
          incoming {
            ...MobilityCellFields
          }
        }
        regions {
          code
          name
          outgoing {
            ...MobilityCellFields
          }
          incoming {
            ...MobilityCellFields
          }
        }
        regionFlows {
          origin {
            code
            name
          }
          destination {
            code
            name
          }
          ...MobilityCellFields
        }
        flowCount
        flows(first: 200) {
          origin {
            id
            name
          }
          destination {
            id
            name
          }
          ...MobilityCellFields
        }
      }
    }
  }
`,
  [MobilityCellFields],
);

/** The network's live feed, resumed after `after` (the last cursor received). */
export const NetworkEventsSubscription = graphql(`
  subscription NetworkEvents($after: String) {
    networkEvents(after: $after) {
      cursor
      at
      kind
      fabriqueId
      regionCode
      departmentCode
      spaceId
      spaceName
      nodeId
      liveness
      reports
      visits
    }
  }
`);
